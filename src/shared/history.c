/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "fileio.h"
#include "history.h"
#include "json-util.h"
#include "macro.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(json_tokener *, json_tokener_free)

static const char *const wake_source_table[_WAKE_SOURCE_MAX] = {
        [WAKE_SOURCE_NONE]  = "",
        [WAKE_SOURCE_ALARM] = "rtc-alarm",
        [WAKE_SOURCE_OTHER] = "other",
};

const char *wake_source_to_string(WakeSource w) {
        return w >= 0 && w < _WAKE_SOURCE_MAX ? wake_source_table[w] : NULL;
}

WakeSource wake_source_from_string(const char *s) {
        if (!s)
                return _WAKE_SOURCE_INVALID;
        for (WakeSource w = 0; w < _WAKE_SOURCE_MAX; w++)
                if (streq(s, wake_source_table[w]))
                        return w;
        return _WAKE_SOURCE_INVALID;
}

void history_entry_done(HistoryEntry *e) {
        free(e->id);
        free(e->target);
        free(e->error);
        *e = (HistoryEntry) {0};
}

void history_done(History *h) {
        for (size_t i = 0; i < h->n_entries; i++)
                history_entry_done(&h->entries[i]);
        free(h->entries);
        *h = (History) {0};
}

/* Length of the valid UTF-8 sequence at p (n bytes left), 0 if there is none:
 * D-Bus refuses a string that is not UTF-8, so none may enter the file. */
static size_t utf8_sequence_length(const unsigned char *p, size_t n) {
        uint32_t c;
        size_t len;

        if (p[0] < 0x80)
                return 1;
        if ((p[0] & 0xE0) == 0xC0) {
                len = 2;
                c = p[0] & 0x1F;
        } else if ((p[0] & 0xF0) == 0xE0) {
                len = 3;
                c = p[0] & 0x0F;
        } else if ((p[0] & 0xF8) == 0xF0) {
                len = 4;
                c = p[0] & 0x07;
        } else
                return 0;
        if (len > n)
                return 0;
        for (size_t i = 1; i < len; i++) {
                if ((p[i] & 0xC0) != 0x80)
                        return 0;
                c = (c << 6) | (p[i] & 0x3F);
        }
        /* overlong forms, surrogates, beyond Unicode */
        if ((len == 2 && c < 0x80) || (len == 3 && c < 0x800) || (len == 4 && c < 0x10000) ||
            (c >= 0xD800 && c <= 0xDFFF) || c > 0x10FFFF)
                return 0;
        return len;
}

static bool utf8_valid(const char *s, size_t n) {
        for (size_t i = 0, l; i < n; i += l) {
                l = utf8_sequence_length((const unsigned char *) s + i, n - i);
                if (l == 0)
                        return false;
        }
        return true;
}

/* At most max bytes of s, whole characters only, a '?' for each byte that
 * is not UTF-8. */
static char *utf8_bounded_copy(const char *s, size_t max) {
        size_t n = s ? strlen(s) : 0, j = 0;
        char *t = malloc((n < max ? n : max) + 1);

        if (!t)
                return NULL;
        for (size_t i = 0; i < n;) {
                size_t l = utf8_sequence_length((const unsigned char *) s + i, n - i);

                if (j + (l ? l : 1) > max)
                        break;
                if (l == 0) {
                        t[j++] = '?';
                        i++;
                } else {
                        memcpy(t + j, s + i, l);
                        i += l;
                        j += l;
                }
        }
        t[j] = '\0';
        return t;
}

int history_entry_from_outcome(const Outcome *o, uint64_t finished_usec, HistoryEntry *ret) {
        HistoryEntry e = {
                .finished_usec = finished_usec,
                .result = o->result,
                .asked_usec = o->asked_usec,
                .slept_usec = o->slept_usec,
                .wake_source = o->result != OUTCOME_RESUMED ? WAKE_SOURCE_NONE :
                               o->woken_by_alarm ? WAKE_SOURCE_ALARM : WAKE_SOURCE_OTHER,
                .suspend_usec = o->started_realtime_usec,
                .resume_usec = o->resumed_realtime_usec,
                .requester_uid = o->requester_uid,
        };

        if (sleep_target_from_string(o->target) < 0 || !outcome_result_to_string(o->result))
                return -EINVAL;
        e.id = utf8_bounded_copy(o->id, HISTORY_STRING_MAX);
        e.target = strdup(o->target);
        e.error = utf8_bounded_copy(o->error, HISTORY_STRING_MAX);
        if (!e.id || !e.target || !e.error) {
                history_entry_done(&e);
                return -ENOMEM;
        }
        *ret = e;
        return 0;
}

int history_add(History *h, HistoryEntry *e) {
        SleepTarget t = sleep_target_from_string(e->target);
        HistoryEntry *n;

        if (t < 0 || !outcome_result_to_string(e->result))
                return -EINVAL;
        n = reallocarray(h->entries, h->n_entries + 1, sizeof *n);
        if (!n)
                return -ENOMEM;
        h->entries = n;
        h->entries[h->n_entries++] = *e;
        *e = (HistoryEntry) {0};
        h->counts[t][h->entries[h->n_entries - 1].result]++;
        h->slept_usec_total += h->entries[h->n_entries - 1].slept_usec;
        return 0;
}

/* Reading */

static int get_string(json_object *j, const char *key, char **ret) {
        json_object *v;
        const char *s;
        size_t n;

        if (!json_object_object_get_ex(j, key, &v) || !json_object_is_type(v, json_type_string))
                return -EBADMSG;
        s = json_object_get_string(v);
        n = (size_t) json_object_get_string_len(v);
        /* no NUL inside, within the bound, and D-Bus can carry it */
        if (strlen(s) != n || n > HISTORY_STRING_MAX || !utf8_valid(s, n))
                return -EBADMSG;
        *ret = strdup(s);
        return *ret ? 0 : -ENOMEM;
}

static int get_uint64(json_object *j, const char *key, uint64_t max, uint64_t *ret) {
        json_object *v;

        if (!json_object_object_get_ex(j, key, &v) || !json_object_is_type(v, json_type_int))
                return -EBADMSG;
        /* json-c clamps: a negative number reads as a negative int64 */
        if (json_object_get_int64(v) < 0 || json_object_get_uint64(v) > max)
                return -EBADMSG;
        *ret = json_object_get_uint64(v);
        return 0;
}

static int entry_from_json(json_object *j, HistoryEntry *ret) {
        _cleanup_free_ char *result = NULL, *wake = NULL;
        HistoryEntry e = {0};
        uint64_t uid;
        int r;

        if ((r = get_uint64(j, "finished_usec", UINT64_MAX, &e.finished_usec)) < 0 ||
            (r = get_string(j, "id", &e.id)) < 0 ||
            (r = get_string(j, "target", &e.target)) < 0 ||
            (r = get_string(j, "result", &result)) < 0 ||
            (r = get_uint64(j, "asked_usec", UINT64_MAX, &e.asked_usec)) < 0 ||
            (r = get_uint64(j, "slept_usec", UINT64_MAX, &e.slept_usec)) < 0 ||
            (r = get_string(j, "wake_source", &wake)) < 0 ||
            (r = get_uint64(j, "suspend_usec", UINT64_MAX, &e.suspend_usec)) < 0 ||
            (r = get_uint64(j, "resume_usec", UINT64_MAX, &e.resume_usec)) < 0 ||
            (r = get_uint64(j, "requester_uid", UINT32_MAX, &uid)) < 0 ||
            (r = get_string(j, "error", &e.error)) < 0)
                goto fail;

        e.result = outcome_result_from_string(result);
        e.wake_source = wake_source_from_string(wake);
        e.requester_uid = (uid_t) uid;
        r = -EBADMSG;
        if (e.result < 0 || e.wake_source < 0 || sleep_target_from_string(e.target) < 0)
                goto fail;
        *ret = e;
        return 0;
fail:
        history_entry_done(&e);
        return r;
}

/* {"totals": {"counts": {"mem": {"resumed": 3, ...}, ...}, "slept_usec": N}} */
static int totals_from_json(json_object *totals, History *h) {
        uint64_t counts[_SLEEP_TARGET_MAX][_OUTCOME_RESULT_MAX] = {{0}}, slept;
        json_object *c;
        int r;

        if (!json_object_is_type(totals, json_type_object) ||
            !json_object_object_get_ex(totals, "counts", &c) || !json_object_is_type(c, json_type_object))
                return -EBADMSG;
        r = get_uint64(totals, "slept_usec", UINT64_MAX, &slept);
        if (r < 0)
                return r;
        json_object_object_foreach(c, target, per_result) {
                SleepTarget t = sleep_target_from_string(target);

                if (t < 0 || !json_object_is_type(per_result, json_type_object))
                        return -EBADMSG;
                json_object_object_foreach(per_result, result, count) {
                        OutcomeResult o = outcome_result_from_string(result);

                        if (o < 0 || !json_object_is_type(count, json_type_int) ||
                            json_object_get_int64(count) < 0)
                                return -EBADMSG;
                        counts[t][o] = json_object_get_uint64(count);
                }
        }
        memcpy(h->counts, counts, sizeof counts);
        h->slept_usec_total = slept;
        return 0;
}

/* One line: a complete JSON object and nothing else. */
static int parse_line(json_tokener *tok, const char *line, size_t len, json_object **ret) {
        json_object *j;

        if (len > INT_MAX)
                return -EBADMSG;
        json_tokener_reset(tok);
        j = json_tokener_parse_ex(tok, line, (int) len);
        if (!j || json_tokener_get_error(tok) != json_tokener_success ||
            json_tokener_get_parse_end(tok) != len || !json_object_is_type(j, json_type_object)) {
                json_object_put(j);
                return -EBADMSG;
        }
        *ret = j;
        return 0;
}

/* A line is the totals or an entry. */
static int read_line(json_object *j, History *h, History *totals, bool *have_totals) {
        _cleanup_(history_entry_done) HistoryEntry e = {0};
        json_object *t;
        int r;

        if (json_object_object_get_ex(j, "totals", &t)) {
                if (*have_totals)
                        return -EBADMSG;
                r = totals_from_json(t, totals);
                if (r >= 0)
                        *have_totals = true;
                return r;
        }
        r = entry_from_json(j, &e);
        if (r < 0)
                return r;
        return history_add(h, &e);
}

int history_parse(const char *text, size_t size, History *ret) {
        _cleanup_(json_tokener_freep) json_tokener *tok = json_tokener_new();
        _cleanup_(history_done) History h = {0};
        History totals = {0};
        bool have_totals = false;
        int r;

        if (!tok)
                return -ENOMEM;
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);

        for (size_t start = 0; start < size;) {
                const char *line = text + start, *nl = memchr(line, '\n', size - start);
                size_t len = nl ? (size_t) (nl - line) : size - start;
                _cleanup_(json_object_putp) json_object *j = NULL;

                start += len + 1;
                if (len == 0)
                        continue;  /* an empty line says nothing */
                r = parse_line(tok, line, len, &j);
                if (r >= 0)
                        r = read_line(j, &h, &totals, &have_totals);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        h.n_unreadable++;
        }

        /* Without its totals line the entries still count what they can. */
        if (have_totals) {
                memcpy(h.counts, totals.counts, sizeof h.counts);
                h.slept_usec_total = totals.slept_usec_total;
        }
        *ret = h;
        h = (History) {0};
        return 0;
}

int history_read(const char *state_dir, History *ret) {
        _cleanup_free_ char *path = NULL, *text = NULL;
        size_t size;
        int r;

        if (asprintf(&path, "%s/%s", state_dir, HISTORY_FILE_NAME) < 0)
                return -ENOMEM;
        r = read_file_bounded(path, HISTORY_READ_MAX, &text, &size);
        if (r == -ENOENT) {
                *ret = (History) {0};
                return 0;
        }
        if (r < 0)
                return r;
        return history_parse(text, size, ret);
}

/* Writing */

static int totals_to_json(const History *h, json_object **ret) {
        _cleanup_(json_object_putp) json_object *line = json_object_new_object(),
                                                *totals = json_object_new_object(),
                                                *counts = json_object_new_object();

        if (!line || !totals || !counts)
                return -ENOMEM;
        for (SleepTarget t = 0; t < _SLEEP_TARGET_MAX; t++) {
                _cleanup_(json_object_putp) json_object *per = json_object_new_object();
                bool any = false;

                if (!per)
                        return -ENOMEM;
                for (OutcomeResult o = 0; o < _OUTCOME_RESULT_MAX; o++)
                        if (h->counts[t][o] > 0) {
                                if (json_add(per, outcome_result_to_string(o),
                                             json_object_new_uint64(h->counts[t][o])) < 0)
                                        return -ENOMEM;
                                any = true;
                        }
                if (any && json_add(counts, sleep_target_to_string(t), TAKE_PTR(per)) < 0)
                        return -ENOMEM;
        }
        if (json_add(totals, "counts", TAKE_PTR(counts)) < 0 ||
            json_add(totals, "slept_usec", json_object_new_uint64(h->slept_usec_total)) < 0 ||
            json_add(line, "totals", TAKE_PTR(totals)) < 0)
                return -ENOMEM;
        *ret = TAKE_PTR(line);
        return 0;
}

static int entry_to_json(const HistoryEntry *e, json_object **ret) {
        _cleanup_(json_object_putp) json_object *j = json_object_new_object();

        if (!j ||
            json_add(j, "finished_usec", json_object_new_uint64(e->finished_usec)) < 0 ||
            json_add(j, "id", json_object_new_string(e->id ? e->id : "")) < 0 ||
            json_add(j, "target", json_object_new_string(e->target ? e->target : "")) < 0 ||
            json_add(j, "result", json_object_new_string(outcome_result_to_string(e->result))) < 0 ||
            json_add(j, "asked_usec", json_object_new_uint64(e->asked_usec)) < 0 ||
            json_add(j, "slept_usec", json_object_new_uint64(e->slept_usec)) < 0 ||
            json_add(j, "wake_source", json_object_new_string(wake_source_to_string(e->wake_source))) < 0 ||
            json_add(j, "suspend_usec", json_object_new_uint64(e->suspend_usec)) < 0 ||
            json_add(j, "resume_usec", json_object_new_uint64(e->resume_usec)) < 0 ||
            json_add(j, "requester_uid", json_object_new_int64((int64_t) e->requester_uid)) < 0 ||
            json_add(j, "error", json_object_new_string(e->error ? e->error : "")) < 0)
                return -ENOMEM;
        *ret = TAKE_PTR(j);
        return 0;
}

#define JSON_LINE_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

static int entry_line(const HistoryEntry *e, char **ret) {
        _cleanup_(json_object_putp) json_object *j = NULL;
        const char *s;
        int r;

        r = entry_to_json(e, &j);
        if (r < 0)
                return r;
        s = json_object_to_json_string_ext(j, JSON_LINE_FLAGS);
        *ret = s ? strdup(s) : NULL;
        return *ret ? 0 : -ENOMEM;
}

int history_format(History *h, char **ret, size_t *ret_size) {
        _cleanup_(json_object_putp) json_object *totals = NULL;
        _cleanup_free_ char **lines = NULL;
        size_t n = h->n_entries, first = n, size;
        char *text = NULL;
        const char *t;
        int r;

        r = totals_to_json(h, &totals);
        if (r < 0)
                return r;
        t = json_object_to_json_string_ext(totals, JSON_LINE_FLAGS);
        if (!t)
                return -ENOMEM;
        size = strlen(t) + 1;

        /* newest first, as long as the bounds hold */
        lines = calloc(n + 1, sizeof *lines);
        if (!lines)
                return -ENOMEM;
        while (first > 0 && n - first < HISTORY_ENTRIES_MAX) {
                _cleanup_free_ char *line = NULL;

                r = entry_line(&h->entries[first - 1], &line);
                if (r < 0)
                        goto finish;
                if (size + strlen(line) + 1 > HISTORY_SIZE_MAX)
                        break;
                size += strlen(line) + 1;
                lines[--first] = TAKE_PTR(line);
        }

        r = -ENOMEM;
        text = malloc(size + 1);
        if (!text)
                goto finish;
        size = (size_t) sprintf(text, "%s\n", t);
        for (size_t i = first; i < n; i++)
                size += (size_t) sprintf(text + size, "%s\n", lines[i]);

        /* h is what the file now holds */
        if (first > 0) {
                for (size_t i = 0; i < first; i++)
                        history_entry_done(&h->entries[i]);
                memmove(h->entries, h->entries + first, (n - first) * sizeof *h->entries);
                h->n_entries = n - first;
        }

        *ret = text;
        *ret_size = size;
        r = 0;
finish:
        for (size_t i = first; i < n; i++)
                free(lines[i]);
        return r;
}

int history_append(const char *state_dir, const Outcome *o, uint64_t finished_usec, size_t *ret_dropped) {
        _cleanup_(history_entry_done) HistoryEntry e = {0};
        _cleanup_(history_done) History h = {0};
        _cleanup_free_ char *text = NULL;
        _cleanup_close_ int dfd = -1;
        size_t size, dropped;
        int r;

        r = history_entry_from_outcome(o, finished_usec, &e);
        if (r < 0)
                return r;

        if (mkdir(state_dir, 0755) < 0 && errno != EEXIST)
                return negative_errno();
        /* two helpers finishing at once must not lose an entry: the lock is
         * the directory's, and goes with the fd */
        dfd = open(state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return negative_errno();
        if (flock(dfd, LOCK_EX) < 0)
                return negative_errno();

        r = history_read(state_dir, &h);
        if (r == -EFBIG)
                dropped = 1;  /* not ours: start again */
        else if (r < 0)
                return r;
        else
                dropped = h.n_unreadable;

        r = history_add(&h, &e);
        if (r < 0)
                return r;
        r = history_format(&h, &text, &size);
        if (r < 0)
                return r;
        r = write_file_atomic(state_dir, HISTORY_FILE_NAME, text, size, 0644);
        if (r < 0)
                return r;
        if (ret_dropped)
                *ret_dropped = dropped;
        return 0;
}
