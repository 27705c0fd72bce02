/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <dirent.h>
#include <ftw.h>
#include <sys/stat.h>

#include "macro.h"
#include "outcome.h"

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        return remove(path);
}

static int setup_dir(void **state) {
        char *dir = strdup("/tmp/hostpm-test-outcome-XXXXXX");

        assert_non_null(mkdtemp(dir));
        *state = dir;
        return 0;
}

static int teardown_dir(void **state) {
        nftw(*state, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
        free(*state);
        return 0;
}

static void write_record(const char *dir, const char *content) {
        _cleanup_free_ char *p = NULL;
        FILE *f;

        assert_true(asprintf(&p, "%s/" OUTCOME_FILE_NAME, dir) > 0);
        f = fopen(p, "we");
        assert_non_null(f);
        fputs(content, f);
        assert_int_equal(fclose(f), 0);
}

static size_t count_entries(const char *dir) {
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

static Outcome full_outcome(void) {
        return (Outcome) {
                .id = (char *) "9f86d081884c7d659a2feaa0c55ad015",
                .target = (char *) "suspend-then-hibernate",
                .result = OUTCOME_RESUMED,
                .error = (char *) "quotes \" and \\ and ünïcode\nand a newline",
                .asked_usec = 300 * USEC_PER_SEC,
                .slept_usec = UINT64_MAX,
                .woken_by_alarm = true,
                .alarm = 1700000300,
                .started_realtime_usec = UINT64_C(1700000000123456),
                .resumed_realtime_usec = UINT64_C(1700000301654321),
                .requester_uid = (uid_t) 4294967294U,
                .requester_pid = 2147483647,
        };
}

static void test_round_trip(void **state) {
        _cleanup_(outcome_done) Outcome o = {0};
        Outcome in = full_outcome();

        assert_int_equal(outcome_write(*state, &in), 0);
        assert_int_equal(outcome_read(*state, &o), 0);
        assert_string_equal(o.id, in.id);
        assert_string_equal(o.target, in.target);
        assert_int_equal(o.result, OUTCOME_RESUMED);
        assert_string_equal(o.error, in.error);
        assert_int_equal(o.asked_usec, in.asked_usec);
        assert_true(o.slept_usec == UINT64_MAX);
        assert_true(o.woken_by_alarm);
        assert_int_equal(o.alarm, in.alarm);
        assert_int_equal(o.started_realtime_usec, in.started_realtime_usec);
        assert_int_equal(o.resumed_realtime_usec, in.resumed_realtime_usec);
        assert_int_equal(o.requester_uid, 4294967294U);
        assert_int_equal(o.requester_pid, 2147483647);
}

/* A sleep in legs: each leg reads back as written, in order; a record of
 * before legs has none; a leg that is not one spoils the record. */
static void test_legs(void **state) {
        _cleanup_(outcome_done) Outcome o = {0}, back = {0};
        const OutcomeLeg legs[] = {
                { SLEEP_TARGET_MEM, 60 * USEC_PER_SEC, 59 * USEC_PER_SEC, true, 1700000060,
                  UINT64_C(1700000000000001), UINT64_C(1700000061000002) },
                { SLEEP_TARGET_DISK, 38 * USEC_PER_SEC, 64 * USEC_PER_SEC, false, 1700000160,
                  UINT64_C(1700000063000003), UINT64_C(1700000170000004) },
        };

        o = full_outcome();
        o.id = strdup(o.id);
        o.target = strdup(o.target);
        o.error = strdup("");
        o.slept_usec = 0;
        for (size_t i = 0; i < ELEMENTSOF(legs); i++)
                assert_int_equal(outcome_add_leg(&o, &legs[i]), 0);
        assert_true(o.slept_usec == 123 * USEC_PER_SEC);  /* the sum */
        assert_int_equal(outcome_write(*state, &o), 0);
        assert_int_equal(outcome_read(*state, &back), 0);
        assert_int_equal(back.n_legs, 2);
        for (size_t i = 0; i < ELEMENTSOF(legs); i++) {
                const OutcomeLeg *a = &back.legs[i], *b = &legs[i];

                assert_int_equal(a->target, b->target);
                assert_true(a->asked_usec == b->asked_usec && a->slept_usec == b->slept_usec);
                assert_int_equal(a->woken_by_alarm, b->woken_by_alarm);
                assert_true(a->alarm == b->alarm);
                assert_true(a->started_realtime_usec == b->started_realtime_usec);
                assert_true(a->resumed_realtime_usec == b->resumed_realtime_usec);
        }
        assert_true(back.slept_usec == 123 * USEC_PER_SEC);
        outcome_done(&back);

        write_record(*state, "{ \"id\": \"a\", \"target\": \"mem\", \"result\": \"resumed\", \"error\": \"\", "
                     "\"asked_usec\": 1, \"slept_usec\": 1, \"woken_by_alarm\": true, \"alarm\": 1, "
                     "\"started_realtime_usec\": 1, \"resumed_realtime_usec\": 2, \"requester_uid\": 0, "
                     "\"requester_pid\": 0 }\n");
        assert_int_equal(outcome_read(*state, &back), 0);
        assert_int_equal(back.n_legs, 0);
        outcome_done(&back);

        write_record(*state, "{ \"id\": \"a\", \"target\": \"mem\", \"result\": \"resumed\", \"error\": \"\", "
                     "\"asked_usec\": 1, \"slept_usec\": 1, \"woken_by_alarm\": true, \"alarm\": 1, "
                     "\"started_realtime_usec\": 1, \"resumed_realtime_usec\": 2, \"requester_uid\": 0, "
                     "\"requester_pid\": 0, \"legs\": [ { \"target\": \"sleepy\", \"asked_usec\": 1, "
                     "\"slept_usec\": 1, \"woken_by_alarm\": true, \"alarm\": 1, \"started_realtime_usec\": 1, "
                     "\"resumed_realtime_usec\": 2 } ] }\n");
        assert_int_equal(outcome_read(*state, &back), -EBADMSG);
}

static void test_null_strings_read_back_empty(void **state) {
        _cleanup_(outcome_done) Outcome o = {0};
        Outcome in = { .result = OUTCOME_SUSPENDING };

        assert_int_equal(outcome_write(*state, &in), 0);
        assert_int_equal(outcome_read(*state, &o), 0);
        assert_string_equal(o.id, "");
        assert_string_equal(o.target, "");
        assert_string_equal(o.error, "");
        assert_int_equal(o.result, OUTCOME_SUSPENDING);
        assert_false(o.woken_by_alarm);
}

static void test_replace_is_atomic_and_leaves_no_temp_file(void **state) {
        _cleanup_(outcome_done) Outcome o = {0};
        Outcome first = full_outcome(), second = full_outcome();
        _cleanup_free_ char *p = NULL;
        struct stat st;

        second.result = OUTCOME_FAILED;
        second.error = (char *) "the RTC refused an alarm 90000 s ahead";
        assert_int_equal(outcome_write(*state, &first), 0);
        assert_int_equal(outcome_write(*state, &second), 0);
        assert_int_equal(outcome_read(*state, &o), 0);
        assert_int_equal(o.result, OUTCOME_FAILED);
        assert_string_equal(o.error, second.error);
        assert_int_equal(count_entries(*state), 1);

        /* readable by everyone, whatever the umask */
        assert_true(asprintf(&p, "%s/" OUTCOME_FILE_NAME, (char *) *state) > 0);
        assert_int_equal(stat(p, &st), 0);
        assert_int_equal(st.st_mode & 0777, 0644);
}

static void test_replace_is_a_rename(void **state) {
        _cleanup_free_ char *p = NULL;
        Outcome in = full_outcome();
        struct stat before, after;

        /* a reader holding the old file keeps the old inode: nothing is
         * rewritten in place */
        assert_int_equal(outcome_write(*state, &in), 0);
        assert_true(asprintf(&p, "%s/" OUTCOME_FILE_NAME, (char *) *state) > 0);
        assert_int_equal(stat(p, &before), 0);
        assert_int_equal(outcome_write(*state, &in), 0);
        assert_int_equal(stat(p, &after), 0);
        assert_true(before.st_ino != after.st_ino);
}

static void test_creates_state_dir(void **state) {
        _cleanup_(outcome_done) Outcome o = {0};
        _cleanup_free_ char *sub = NULL;
        Outcome in = full_outcome();

        assert_true(asprintf(&sub, "%s/hostpm", (char *) *state) > 0);
        assert_int_equal(outcome_write(sub, &in), 0);
        assert_int_equal(outcome_read(sub, &o), 0);
}

static void test_write_fails_cleanly(void **state) {
        _cleanup_free_ char *deep = NULL;
        Outcome in = full_outcome();

        in.result = _OUTCOME_RESULT_INVALID;
        assert_int_equal(outcome_write(*state, &in), -EINVAL);
        in.result = _OUTCOME_RESULT_MAX;
        assert_int_equal(outcome_write(*state, &in), -EINVAL);

        /* only the last level is created */
        in.result = OUTCOME_FAILED;
        assert_true(asprintf(&deep, "%s/a/b", (char *) *state) > 0);
        assert_int_equal(outcome_write(deep, &in), -ENOENT);
        assert_int_equal(count_entries(*state), 0);
}

static void test_missing_is_enoent(void **state) {
        _cleanup_free_ char *missing = NULL;
        Outcome o = {0};

        assert_int_equal(outcome_read(*state, &o), -ENOENT);
        assert_true(asprintf(&missing, "%s/nowhere", (char *) *state) > 0);
        assert_int_equal(outcome_read(missing, &o), -ENOENT);
        assert_null(o.id);
}

/* A valid record by hand, with one field's JSON value replaced, or left
 * out when value is NULL. */
static char *record_with(const char *key, const char *value) {
        static const char *const fields[][2] = {
                { "id", "\"x\"" }, { "target", "\"mem\"" }, { "result", "\"resumed\"" }, { "error", "\"\"" },
                { "asked_usec", "1" }, { "slept_usec", "2" }, { "woken_by_alarm", "false" }, { "alarm", "3" },
                { "started_realtime_usec", "4" }, { "resumed_realtime_usec", "5" }, { "requester_uid", "6" },
                { "requester_pid", "7" },
        };
        char *s = strdup("{");

        assert_non_null(s);
        for (size_t i = 0; i < ELEMENTSOF(fields); i++) {
                const char *v = key && streq(key, fields[i][0]) ? value : fields[i][1];
                char *n;

                if (!v)
                        continue;
                assert_true(asprintf(&n, "%s%s \"%s\": %s", s, streq(s, "{") ? "" : ",", fields[i][0], v) > 0);
                free(s);
                s = n;
        }
        return s;
}

static void test_valid_by_hand(void **state) {
        _cleanup_(outcome_done) Outcome o = {0};
        _cleanup_free_ char *body = record_with("result", "\"cancelled\""), *text = NULL;

        /* extra keys ignored, trailing whitespace allowed */
        assert_true(asprintf(&text, "%s, \"future\": [1] }\n\n", body) > 0);
        write_record(*state, text);
        assert_int_equal(outcome_read(*state, &o), 0);
        assert_int_equal(o.result, OUTCOME_CANCELLED);
        assert_int_equal(o.requester_pid, 7);
}

static void test_corrupt_is_ebadmsg(void **state) {
        static const char *const bad_text[] = {
                "", "\n", "{", "garbage", "[]", "null", "\"a string\"",
                "{ \"id\": \"x\", \"target\": \"mem\", \"result\": \"resumed\", \"err",  /* cut mid-write */
        };
        static const char *const bad_field[][2] = {
                { "id", NULL },                        /* missing */
                { "error", NULL },
                { "requester_pid", NULL },
                { "result", "\"scheduled\"" },         /* not a result the helper writes */
                { "result", "\"\"" },
                { "id", "1" },                         /* wrong types */
                { "error", "null" },
                { "asked_usec", "\"1\"" },
                { "asked_usec", "1.5" },
                { "woken_by_alarm", "1" },
                { "alarm", "-1" },                     /* out of range */
                { "requester_uid", "4294967296" },
                { "requester_pid", "2147483648" },
                { "requester_pid", "-1" },
        };
        _cleanup_free_ char *body = record_with(NULL, NULL), *trailing = NULL;

        for (size_t i = 0; i < ELEMENTSOF(bad_text); i++) {
                Outcome o = {0};

                write_record(*state, bad_text[i]);
                if (outcome_read(*state, &o) != -EBADMSG)
                        fail_msg("accepted or misreported bad record: %s", bad_text[i]);
                assert_null(o.id);  /* ret untouched on failure */
        }

        for (size_t i = 0; i < ELEMENTSOF(bad_field); i++) {
                _cleanup_free_ char *b = record_with(bad_field[i][0], bad_field[i][1]), *text = NULL;
                Outcome o = {0};

                assert_true(asprintf(&text, "%s }", b) > 0);
                write_record(*state, text);
                if (outcome_read(*state, &o) != -EBADMSG)
                        fail_msg("accepted or misreported bad record: %s", text);
                assert_null(o.id);
        }

        assert_true(asprintf(&trailing, "%s } x", body) > 0);
        write_record(*state, trailing);
        assert_int_equal(outcome_read(*state, &(Outcome) {0}), -EBADMSG);
}

static void test_oversized_is_ebadmsg(void **state) {
        _cleanup_free_ char *big = malloc(70 * 1024);
        Outcome o = {0};

        assert_non_null(big);
        memset(big, ' ', 70 * 1024 - 1);
        big[70 * 1024 - 1] = '\0';
        write_record(*state, big);
        assert_int_equal(outcome_read(*state, &o), -EBADMSG);
}

static void test_result_strings(void **state) {
        static const char *const names[] = { "suspending", "resumed", "failed", "refused", "cancelled" };

        assert_int_equal(ELEMENTSOF(names), _OUTCOME_RESULT_MAX);
        for (OutcomeResult r = 0; r < _OUTCOME_RESULT_MAX; r++) {
                assert_string_equal(outcome_result_to_string(r), names[r]);
                assert_int_equal(outcome_result_from_string(names[r]), r);
        }
        assert_null(outcome_result_to_string(_OUTCOME_RESULT_MAX));
        assert_null(outcome_result_to_string(_OUTCOME_RESULT_INVALID));
        assert_int_equal(outcome_result_from_string(NULL), _OUTCOME_RESULT_INVALID);
        assert_int_equal(outcome_result_from_string(""), _OUTCOME_RESULT_INVALID);
        assert_int_equal(outcome_result_from_string("Resumed"), _OUTCOME_RESULT_INVALID);
}

/* Read once per process, so this is the only test of the environment. */
static void test_state_dir_prefers_systemds_first_entry(void **state) {
        assert_int_equal(setenv("STATE_DIRECTORY", "/var/lib/hostpm:/var/lib/other", 1), 0);
        assert_int_equal(setenv("HOSTPM_STATE_DIR", "/tmp/not-this", 1), 0);
        assert_string_equal(outcome_state_dir(), "/var/lib/hostpm");
        assert_int_equal(setenv("STATE_DIRECTORY", "/changed", 1), 0);
        assert_string_equal(outcome_state_dir(), "/var/lib/hostpm");
}

#define TEST(name) cmocka_unit_test_setup_teardown(name, setup_dir, teardown_dir)

int main(void) {
        const struct CMUnitTest tests[] = {
                TEST(test_legs),
                TEST(test_round_trip),
                TEST(test_null_strings_read_back_empty),
                TEST(test_replace_is_atomic_and_leaves_no_temp_file),
                TEST(test_replace_is_a_rename),
                TEST(test_creates_state_dir),
                TEST(test_write_fails_cleanly),
                TEST(test_missing_is_enoent),
                TEST(test_valid_by_hand),
                TEST(test_corrupt_is_ebadmsg),
                TEST(test_oversized_is_ebadmsg),
                cmocka_unit_test(test_result_strings),
                cmocka_unit_test(test_state_dir_prefers_systemds_first_entry),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
