/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <dirent.h>
#include <ftw.h>
#include <sys/stat.h>

#include "fileio.h"
#include "history.h"
#include "macro.h"

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        return remove(path);
}

/* On tmpfs where there is one: the bound test writes 2000 files, and each
 * write fsyncs, which a busy disk makes take a minute. */
static int setup_dir(void **state) {
        struct stat st;
        char *dir = strdup(stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) && access("/dev/shm", W_OK) == 0
                           ? "/dev/shm/hostpm-test-history-XXXXXX" : "/tmp/hostpm-test-history-XXXXXX");

        assert_non_null(dir);
        assert_non_null(mkdtemp(dir));
        *state = dir;
        return 0;
}

static int teardown_dir(void **state) {
        nftw(*state, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
        free(*state);
        return 0;
}

static char *history_path(const char *dir) {
        char *p;

        assert_true(asprintf(&p, "%s/" HISTORY_FILE_NAME, dir) > 0);
        return p;
}

static void write_text(const char *dir, const char *text, size_t size) {
        assert_int_equal(write_file_atomic(dir, HISTORY_FILE_NAME, text, size, 0644), 0);
}

static size_t file_size(const char *dir) {
        _cleanup_free_ char *p = history_path(dir);
        struct stat st;

        assert_int_equal(stat(p, &st), 0);
        return (size_t) st.st_size;
}

static size_t count_dir_entries(const char *dir) {
        DIR *d = opendir(dir);
        struct dirent *de;
        size_t n = 0;

        assert_non_null(d);
        while ((de = readdir(d)))
                if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
                        n++;
        closedir(d);
        return n;
}

static Outcome outcome(unsigned i, const char *target, OutcomeResult result, const char *error) {
        static char ids[8][33];
        char *id = ids[i % ELEMENTSOF(ids)];

        (void) snprintf(id, sizeof ids[0], "%032x", i);
        return (Outcome) {
                .id = id,
                .target = (char *) target,
                .result = result,
                .error = (char *) error,
                .asked_usec = 60 * USEC_PER_SEC,
                .slept_usec = result == OUTCOME_RESUMED ? 59 * USEC_PER_SEC + i : 0,
                .woken_by_alarm = i % 2 == 0,
                .started_realtime_usec = UINT64_C(1700000000000000) + i,
                .resumed_realtime_usec = result == OUTCOME_RESUMED ? UINT64_C(1700000060000000) + i : 0,
                .requester_uid = 1000 + i,
                .requester_pid = 42,
        };
}

static void test_missing_is_empty(void **state) {
        _cleanup_(history_done) History h = {0};

        assert_int_equal(history_read(*state, &h), 0);
        assert_int_equal(h.n_entries, 0);
        assert_int_equal(h.n_unreadable, 0);
}

static void test_round_trip(void **state) {
        _cleanup_(history_done) History h = {0};
        _cleanup_free_ char *p = history_path(*state);
        Outcome a = outcome(0, "mem", OUTCOME_RESUMED, NULL),
                b = outcome(1, "disk", OUTCOME_RESUMED, ""),
                c = outcome(2, "hybrid", OUTCOME_REFUSED, "an inhibitor \"blocks\" sleep\n");
        size_t dropped = 99;
        struct stat st;

        assert_int_equal(history_append(*state, &a, 100, &dropped), 0);
        assert_int_equal(dropped, 0);
        assert_int_equal(history_append(*state, &b, 200, NULL), 0);
        assert_int_equal(history_append(*state, &c, 300, NULL), 0);

        assert_int_equal(history_read(*state, &h), 0);
        assert_int_equal(h.n_entries, 3);
        assert_int_equal(h.n_unreadable, 0);
        assert_int_equal(h.entries[0].finished_usec, 100);
        assert_string_equal(h.entries[0].id, "00000000000000000000000000000000");
        assert_string_equal(h.entries[0].target, "mem");
        assert_int_equal(h.entries[0].result, OUTCOME_RESUMED);
        assert_int_equal(h.entries[0].wake_source, WAKE_SOURCE_ALARM);
        assert_int_equal(h.entries[0].slept_usec, 59 * USEC_PER_SEC);
        assert_int_equal(h.entries[0].asked_usec, 60 * USEC_PER_SEC);
        assert_int_equal(h.entries[0].suspend_usec, UINT64_C(1700000000000000));
        assert_int_equal(h.entries[0].resume_usec, UINT64_C(1700000060000000));
        assert_int_equal(h.entries[0].requester_uid, 1000);
        assert_string_equal(h.entries[0].error, "");
        assert_int_equal(h.entries[1].wake_source, WAKE_SOURCE_OTHER);   /* odd: not by the alarm */
        assert_int_equal(h.entries[2].wake_source, WAKE_SOURCE_NONE);    /* never slept */
        assert_string_equal(h.entries[2].error, "an inhibitor \"blocks\" sleep\n");
        assert_int_equal(h.entries[2].resume_usec, 0);

        assert_int_equal(h.counts[SLEEP_TARGET_MEM][OUTCOME_RESUMED], 1);
        assert_int_equal(h.counts[SLEEP_TARGET_DISK][OUTCOME_RESUMED], 1);
        assert_int_equal(h.counts[SLEEP_TARGET_HYBRID][OUTCOME_REFUSED], 1);
        assert_int_equal(h.counts[SLEEP_TARGET_MEM][OUTCOME_FAILED], 0);
        assert_int_equal(h.slept_usec_total, 2 * 59 * USEC_PER_SEC + 1);

        /* readable by everyone, no temp file left */
        assert_int_equal(stat(p, &st), 0);
        assert_int_equal(st.st_mode & 0777, 0644);
        assert_int_equal(count_dir_entries(*state), 1);
}

static void test_bounds_hold_over_1000_cycles(void **state) {
        char long_error[HISTORY_STRING_MAX * 2];
        uint64_t slept = 0;
        unsigned n = 600, m = 400;  /* 1000 cycles */

        /* short entries: the count is the bound */
        for (unsigned i = 0; i < n; i++) {
                Outcome o = outcome(i, i % 3 ? "mem" : "disk", i % 5 ? OUTCOME_RESUMED : OUTCOME_FAILED, NULL);

                slept += o.slept_usec;
                assert_int_equal(history_append(*state, &o, i, NULL), 0);
                assert_true(file_size(*state) <= HISTORY_SIZE_MAX);
        }
        {
                _cleanup_(history_done) History h = {0};
                uint64_t total = 0;

                assert_int_equal(history_read(*state, &h), 0);
                assert_int_equal(h.n_entries, HISTORY_ENTRIES_MAX);
                /* the newest are kept, in order */
                for (size_t i = 0; i < h.n_entries; i++)
                        assert_int_equal(h.entries[i].finished_usec, n - HISTORY_ENTRIES_MAX + i);
                /* the totals still count every cycle */
                for (SleepTarget t = 0; t < _SLEEP_TARGET_MAX; t++)
                        for (OutcomeResult r = 0; r < _OUTCOME_RESULT_MAX; r++)
                                total += h.counts[t][r];
                assert_int_equal(total, n);
                assert_int_equal(h.counts[SLEEP_TARGET_MEM][OUTCOME_FAILED] +
                                 h.counts[SLEEP_TARGET_DISK][OUTCOME_FAILED], n / 5);
                assert_int_equal(h.slept_usec_total, slept);
        }

        /* long errors that escape to six bytes a character: the size is the bound */
        memset(long_error, 0x01, sizeof long_error - 1);
        long_error[sizeof long_error - 1] = '\0';
        for (unsigned i = n; i < n + m; i++) {
                Outcome o = outcome(i, "suspend-then-hibernate", OUTCOME_FAILED, long_error);

                assert_int_equal(history_append(*state, &o, i, NULL), 0);
                assert_true(file_size(*state) <= HISTORY_SIZE_MAX);
        }
        {
                _cleanup_(history_done) History h = {0};

                assert_int_equal(history_read(*state, &h), 0);
                assert_true(h.n_entries < HISTORY_ENTRIES_MAX);
                assert_true(h.n_entries > 10);
                assert_int_equal(h.entries[h.n_entries - 1].finished_usec, n + m - 1);
                assert_int_equal(strlen(h.entries[0].error), HISTORY_STRING_MAX);
                assert_int_equal(h.counts[SLEEP_TARGET_SUSPEND_THEN_HIBERNATE][OUTCOME_FAILED], m);
                assert_int_equal(h.n_unreadable, 0);
        }
        assert_int_equal(count_dir_entries(*state), 1);
}

static void test_error_cut_at_character_and_made_utf8(void **state) {
        _cleanup_(history_done) History h = {0};
        char error[HISTORY_STRING_MAX + 8];
        Outcome o;

        /* 511 ASCII bytes, then a two-byte character that does not fit */
        memset(error, 'x', HISTORY_STRING_MAX - 1);
        strcpy(error + HISTORY_STRING_MAX - 1, "\xc3\xa9tail");
        o = outcome(1, "mem", OUTCOME_FAILED, error);
        assert_int_equal(history_append(*state, &o, 1, NULL), 0);
        /* bytes that are not UTF-8 become '?' */
        o = outcome(2, "mem", OUTCOME_FAILED, "bad \xff\xfe byte, overlong \xc0\xaf, surrogate \xed\xa0\x80, ok \xc3\xa9");
        assert_int_equal(history_append(*state, &o, 2, NULL), 0);

        assert_int_equal(history_read(*state, &h), 0);
        assert_int_equal(h.n_entries, 2);
        assert_int_equal(strlen(h.entries[0].error), HISTORY_STRING_MAX - 1);
        assert_string_equal(h.entries[1].error, "bad ?? byte, overlong ??, surrogate ???, ok \xc3\xa9");
}

static void test_bad_outcome_refused(void **state) {
        Outcome o = outcome(1, "sleep", OUTCOME_RESUMED, NULL);

        assert_int_equal(history_append(*state, &o, 1, NULL), -EINVAL);
        o = outcome(1, "mem", _OUTCOME_RESULT_MAX, NULL);
        assert_int_equal(history_append(*state, &o, 1, NULL), -EINVAL);
        assert_int_equal(count_dir_entries(*state), 0);
}

#define ENTRY(fields) ENTRY_AT("7", fields)
#define ENTRY_AT(finished, fields) "{\"finished_usec\":" finished ",\"id\":\"a\",\"target\":\"mem\",\"result\":\"resumed\"," \
        "\"asked_usec\":60000000,\"slept_usec\":59000000,\"wake_source\":\"rtc-alarm\",\"suspend_usec\":1," \
        "\"resume_usec\":2,\"requester_uid\":0" fields "}"
#define GOOD ENTRY(",\"error\":\"\"")

static void test_corrupt_lines_are_counted_and_left_out(void **state) {
        static const char *const bad[] = {
                "garbage",
                "{",
                "[]",
                "null",
                GOOD " trailing",
                ENTRY(""),                                             /* no error */
                ENTRY(",\"error\":null"),
                ENTRY(",\"error\":\"\",\"error\":1"),                  /* json-c keeps the last */
                ENTRY_AT("-1", ",\"error\":\"\""),                     /* negative */
                ENTRY_AT("1.5", ",\"error\":\"\""),
                ENTRY(",\"error\":\"\",\"wake_source\":\"alarm\""),       /* unknown value */
                ENTRY(",\"error\":\"\\u0000hidden\""),                 /* NUL inside */
                ENTRY(",\"error\":\"\xff\""),                          /* not UTF-8 */
                "{\"totals\":{\"counts\":{\"sleep\":{\"resumed\":1}},\"slept_usec\":1}}",
                "{\"totals\":{\"counts\":{\"mem\":{\"resumed\":-1}},\"slept_usec\":1}}",
                "{\"totals\":{\"counts\":{}}}",
        };
        _cleanup_(history_done) History h = {0};
        _cleanup_free_ char *text = NULL;
        size_t len = 0, dropped = 0;
        FILE *f = open_memstream(&text, &len);
        Outcome o = outcome(9, "mem", OUTCOME_RESUMED, NULL);

        assert_non_null(f);
        fputs(GOOD "\n", f);
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                fprintf(f, "%s\n", bad[i]);
        fputs("\n" GOOD "\n", f);
        fputs("{\"finished_usec\":8,\"id\":\"cut off", f);    /* a truncated last line */
        assert_int_equal(fclose(f), 0);
        write_text(*state, text, len);

        assert_int_equal(history_read(*state, &h), 0);
        assert_int_equal(h.n_entries, 2);
        assert_int_equal(h.n_unreadable, ELEMENTSOF(bad) + 1);
        /* no totals line: the entries are counted */
        assert_int_equal(h.counts[SLEEP_TARGET_MEM][OUTCOME_RESUMED], 2);
        assert_int_equal(h.slept_usec_total, 2 * 59 * USEC_PER_SEC);

        /* the next writer says how many it dropped, and leaves a clean file */
        assert_int_equal(history_append(*state, &o, 9, &dropped), 0);
        assert_int_equal(dropped, ELEMENTSOF(bad) + 1);
        history_done(&h);
        assert_int_equal(history_read(*state, &h), 0);
        assert_int_equal(h.n_entries, 3);
        assert_int_equal(h.n_unreadable, 0);
        assert_int_equal(h.counts[SLEEP_TARGET_MEM][OUTCOME_RESUMED], 3);
}

static void test_second_totals_line_is_unreadable(void **state) {
        static const char text[] =
                "{\"totals\":{\"counts\":{\"mem\":{\"resumed\":40}},\"slept_usec\":5}}\n"
                "{\"totals\":{\"counts\":{\"mem\":{\"resumed\":1}},\"slept_usec\":1}}\n" GOOD "\n";
        _cleanup_(history_done) History h = {0};

        write_text(*state, text, strlen(text));
        assert_int_equal(history_read(*state, &h), 0);
        assert_int_equal(h.n_entries, 1);
        assert_int_equal(h.n_unreadable, 1);
        assert_int_equal(h.counts[SLEEP_TARGET_MEM][OUTCOME_RESUMED], 40);
        assert_int_equal(h.slept_usec_total, 5);
}

/* Every prefix of a real file, as a crash mid-write elsewhere could leave it:
 * read without failing, never more than was there. */
static void test_every_truncation_reads(void **state) {
        _cleanup_free_ char *p = history_path(*state), *full = NULL;
        size_t size;

        for (unsigned i = 0; i < 4; i++) {
                Outcome o = outcome(i, "mem", i == 2 ? OUTCOME_CANCELLED : OUTCOME_RESUMED, "stopped by SIGTERM");

                assert_int_equal(history_append(*state, &o, i, NULL), 0);
        }
        assert_int_equal(read_file_bounded(p, HISTORY_READ_MAX, &full, &size), 0);
        for (size_t cut = 0; cut <= size; cut++) {
                _cleanup_(history_done) History h = {0};

                assert_int_equal(history_parse(full, cut, &h), 0);
                assert_true(h.n_entries <= 4);
                assert_true(h.n_unreadable <= 1);
        }
}

static void test_oversized_file_is_refused_and_replaced(void **state) {
        _cleanup_(history_done) History h = {0};
        _cleanup_free_ char *big = malloc(HISTORY_READ_MAX + 2);
        Outcome o = outcome(1, "mem", OUTCOME_RESUMED, NULL);
        size_t dropped = 0;

        assert_non_null(big);
        memset(big, '\n', HISTORY_READ_MAX + 1);
        write_text(*state, big, HISTORY_READ_MAX + 1);
        assert_int_equal(history_read(*state, &h), -EFBIG);

        assert_int_equal(history_append(*state, &o, 1, &dropped), 0);
        assert_int_equal(dropped, 1);
        assert_int_equal(history_read(*state, &h), 0);
        assert_int_equal(h.n_entries, 1);
}

static void test_wake_source_strings(void **state) {
        static const char *const names[] = { "", "rtc-alarm", "other" };

        assert_int_equal(ELEMENTSOF(names), _WAKE_SOURCE_MAX);
        for (WakeSource w = 0; w < _WAKE_SOURCE_MAX; w++) {
                assert_string_equal(wake_source_to_string(w), names[w]);
                assert_int_equal(wake_source_from_string(names[w]), w);
        }
        assert_null(wake_source_to_string(_WAKE_SOURCE_MAX));
        assert_int_equal(wake_source_from_string("alarm"), _WAKE_SOURCE_INVALID);
        assert_int_equal(wake_source_from_string(NULL), _WAKE_SOURCE_INVALID);
}

#define TEST(name) cmocka_unit_test_setup_teardown(name, setup_dir, teardown_dir)

int main(void) {
        const struct CMUnitTest tests[] = {
                TEST(test_missing_is_empty),
                TEST(test_round_trip),
                TEST(test_bounds_hold_over_1000_cycles),
                TEST(test_error_cut_at_character_and_made_utf8),
                TEST(test_bad_outcome_refused),
                TEST(test_corrupt_lines_are_counted_and_left_out),
                TEST(test_second_totals_line_is_unreadable),
                TEST(test_every_truncation_reads),
                TEST(test_oversized_file_is_refused_and_replaced),
                cmocka_unit_test(test_wake_source_strings),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
