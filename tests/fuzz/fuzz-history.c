/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* history_parse() on any file: it never fails but for memory, keeps only
 * entries that D-Bus can carry, and what history_format() makes of them
 * stays within the bounds and reads back the same, with nothing
 * unreadable. */

#include <locale.h>
#include <wchar.h>

#include "fuzz.h"
#include "history.h"
#include "macro.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
        /* glibc's own UTF-8 decoder checks what history.c's does */
        if (!setlocale(LC_CTYPE, "C.UTF-8"))
                abort();
        return 0;
}

/* What D-Bus accepts as a string: UTF-8 without surrogates, and within the
 * history's bound. */
static bool valid_utf8_bounded(const char *s) {
        size_t n = strlen(s), l;
        mbstate_t state = {0};
        wchar_t wc;

        if (n > HISTORY_STRING_MAX)
                return false;
        for (; n > 0; s += l, n -= l) {
                l = mbrtowc(&wc, s, n, &state);
                if (l == (size_t) -1 || l == (size_t) -2 || l == 0 || (wc >= 0xD800 && wc <= 0xDFFF))
                        return false;
        }
        return true;
}

static void check_entry(const HistoryEntry *e) {
        fuzz_assert(e->id && e->target && e->error);
        fuzz_assert(valid_utf8_bounded(e->id) && valid_utf8_bounded(e->target) && valid_utf8_bounded(e->error));
        fuzz_assert(sleep_target_from_string(e->target) >= 0);
        fuzz_assert(outcome_result_to_string(e->result));
        fuzz_assert(wake_source_to_string(e->wake_source));
}

static bool entries_equal(const HistoryEntry *a, const HistoryEntry *b) {
        return a->finished_usec == b->finished_usec && streq(a->id, b->id) && streq(a->target, b->target) &&
               a->result == b->result && a->asked_usec == b->asked_usec && a->slept_usec == b->slept_usec &&
               a->wake_source == b->wake_source && a->suspend_usec == b->suspend_usec &&
               a->resume_usec == b->resume_usec && a->requester_uid == b->requester_uid &&
               streq(a->error, b->error);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_(history_done) History h = {0}, again = {0};
        _cleanup_free_ char *text = NULL;
        size_t text_size;
        int r;

        if (size > HISTORY_READ_MAX)
                return 0;  /* history_read() does not parse those */
        r = history_parse((const char *) data, size, &h);
        if (r == -ENOMEM)
                return 0;
        fuzz_assert(r == 0);
        for (size_t i = 0; i < h.n_entries; i++)
                check_entry(&h.entries[i]);

        r = history_format(&h, &text, &text_size);
        if (r == -ENOMEM)
                return 0;
        fuzz_assert(r == 0);
        fuzz_assert(text_size == strlen(text));
        fuzz_assert(text_size <= HISTORY_SIZE_MAX || h.n_entries == 0);
        fuzz_assert(h.n_entries <= HISTORY_ENTRIES_MAX);

        r = history_parse(text, text_size, &again);
        if (r == -ENOMEM)
                return 0;
        fuzz_assert(r == 0);
        fuzz_assert(again.n_unreadable == 0);
        fuzz_assert(again.n_entries == h.n_entries);
        for (size_t i = 0; i < h.n_entries; i++)
                fuzz_assert(entries_equal(&h.entries[i], &again.entries[i]));
        fuzz_assert(memcmp(again.counts, h.counts, sizeof h.counts) == 0);
        fuzz_assert(again.slept_usec_total == h.slept_usec_total);
        return 0;
}
