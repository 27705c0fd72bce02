/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <ftw.h>
#include <sys/stat.h>

#include "macro.h"
#include "rtc-alarm.h"

/* The "sysfs" is a temp directory: writing stores, reading returns what was
 * stored, so "0" is what a clear leaves behind. */

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        return remove(path);
}

static void make_dir(const char *root, const char *rel) {
        _cleanup_free_ char *dir = NULL;

        assert_true(asprintf(&dir, "%s/%s", root, rel) > 0);
        assert_int_equal(mkdir(dir, 0755), 0);
}

static int setup_root(void **state) {
        char *root = strdup("/tmp/hostpm-test-rtc-alarm-XXXXXX");

        assert_non_null(mkdtemp(root));
        make_dir(root, "class");
        make_dir(root, "class/rtc");
        make_dir(root, "class/rtc/rtc0");
        *state = root;
        return 0;
}

static int teardown_root(void **state) {
        nftw(*state, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
        free(*state);
        return 0;
}

static char *path_of(const char *root, const char *file) {
        char *p;

        assert_true(asprintf(&p, "%s/class/rtc/rtc0/%s", root, file) > 0);
        return p;
}

static void write_file(const char *root, const char *file, const char *content) {
        _cleanup_free_ char *p = path_of(root, file);
        FILE *f = fopen(p, "we");

        assert_non_null(f);
        fputs(content, f);
        assert_int_equal(fclose(f), 0);
}

/* The file's content without its newline; NULL if it does not exist. */
static char *read_file(const char *root, const char *file) {
        _cleanup_free_ char *p = path_of(root, file);
        char buf[128] = "";
        size_t n;
        FILE *f = fopen(p, "re");

        if (!f)
                return NULL;
        n = fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
        buf[n] = '\0';
        buf[strcspn(buf, "\n")] = '\0';
        return strdup(buf);
}

static void assert_file(const char *root, const char *file, const char *expected) {
        _cleanup_free_ char *content = read_file(root, file);

        if (!expected)
                assert_null(content);
        else {
                assert_non_null(content);
                assert_string_equal(content, expected);
        }
}

static void test_set_reads_back_absolute_alarm(void **state) {
        uint64_t alarm = 0, pending = 0;

        write_file(*state, "since_epoch", "1700000000\n");
        write_file(*state, "wakealarm", "");
        assert_int_equal(rtc_set_wakealarm(*state, "rtc0", 300, &alarm), 0);
        assert_int_equal(alarm, 1700000300);
        assert_file(*state, "wakealarm", "1700000300");
        assert_int_equal(rtc_read_wakealarm(*state, "rtc0", &pending), 1);
        assert_int_equal(pending, 1700000300);
}

static void test_set_replaces_pending_alarm(void **state) {
        uint64_t alarm = 0;

        write_file(*state, "since_epoch", "1700000000\n");
        write_file(*state, "wakealarm", "1600000000\n");
        assert_int_equal(rtc_set_wakealarm(*state, "rtc0", 60, &alarm), 0);
        assert_int_equal(alarm, 1700000060);
        assert_file(*state, "wakealarm", "1700000060");
}

static void test_readback_mismatch_is_eio_and_leaves_no_alarm(void **state) {
        _cleanup_free_ char *p = path_of(*state, "wakealarm");
        uint64_t alarm = 42, pending = 42;

        /* the write "succeeds" and reads back empty, as an RTC that dropped it */
        write_file(*state, "since_epoch", "1700000000\n");
        assert_int_equal(symlink("/dev/null", p), 0);
        assert_int_equal(rtc_set_wakealarm(*state, "rtc0", 300, &alarm), -EIO);
        assert_int_equal(alarm, 42);  /* untouched on failure */
        assert_int_equal(rtc_read_wakealarm(*state, "rtc0", &pending), 0);
        assert_int_equal(pending, 0);
}

static void test_refused_write_passes_error_and_touches_nothing_else(void **state) {
        _cleanup_free_ char *p = path_of(*state, "wakealarm");
        uint64_t alarm = 42;

        /* a directory cannot be opened for writing: stands in for the
         * kernel's EINVAL, which comes back the same way from write(2) */
        write_file(*state, "since_epoch", "1700000000\n");
        assert_int_equal(mkdir(p, 0755), 0);
        assert_int_equal(rtc_set_wakealarm(*state, "rtc0", 300, &alarm), -EISDIR);
        assert_int_equal(alarm, 42);
}

static void test_missing_device(void **state) {
        uint64_t alarm = 42;

        assert_int_equal(rtc_set_wakealarm(*state, "rtc1", 300, &alarm), -ENOENT);
        assert_int_equal(rtc_clear_wakealarm(*state, "rtc1"), -ENOENT);
        assert_int_equal(rtc_read_wakealarm(*state, "rtc1", &alarm), -ENOENT);
        assert_int_equal(rtc_read_since_epoch(*state, "rtc1", &alarm), -ENOENT);
        assert_int_equal(alarm, 42);
}

static void test_missing_since_epoch_touches_no_alarm(void **state) {
        uint64_t alarm = 42;

        write_file(*state, "wakealarm", "1600000000\n");
        assert_int_equal(rtc_set_wakealarm(*state, "rtc0", 300, &alarm), -ENOENT);
        assert_file(*state, "wakealarm", "1600000000");
}

static void test_missing_wakealarm_creates_nothing(void **state) {
        uint64_t alarm = 42;

        write_file(*state, "since_epoch", "1700000000\n");
        assert_int_equal(rtc_set_wakealarm(*state, "rtc0", 300, &alarm), -ENOENT);
        assert_file(*state, "wakealarm", NULL);
}

static void test_bad_since_epoch(void **state) {
        static const char *const bad[] = { "", "\n", "-5\n", "17e8\n", "abc\n", " 1700000000\n", "+1700000000\n",
                                           "99999999999999999999999\n" };
        uint64_t alarm = 42;

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                write_file(*state, "since_epoch", bad[i]);
                write_file(*state, "wakealarm", "1600000000\n");
                assert_int_equal(rtc_set_wakealarm(*state, "rtc0", 300, &alarm), -EBADMSG);
                assert_file(*state, "wakealarm", "1600000000");
        }
        assert_int_equal(alarm, 42);
}

static void test_bad_arguments(void **state) {
        static const char *const bad_devices[] = { "", ".", "..", "../rtc0", "rtc0/..", "/rtc0" };
        uint64_t alarm = 42;

        write_file(*state, "since_epoch", "1700000000\n");
        write_file(*state, "wakealarm", "");
        assert_int_equal(rtc_set_wakealarm(*state, "rtc0", 0, &alarm), -EINVAL);
        for (size_t i = 0; i < ELEMENTSOF(bad_devices); i++) {
                assert_int_equal(rtc_set_wakealarm(*state, bad_devices[i], 300, &alarm), -EINVAL);
                assert_int_equal(rtc_clear_wakealarm(*state, bad_devices[i]), -EINVAL);
        }
        assert_int_equal(alarm, 42);
        assert_file(*state, "wakealarm", "");
}

static void test_overflow(void **state) {
        uint64_t alarm = 42;

        write_file(*state, "since_epoch", "18446744073709551610\n");
        write_file(*state, "wakealarm", "");
        assert_int_equal(rtc_set_wakealarm(*state, "rtc0", 10, &alarm), -ERANGE);
        assert_int_equal(rtc_set_wakealarm(*state, "rtc0", 5, &alarm), 0);
        assert_int_equal(alarm, UINT64_MAX);
}

static void test_clear(void **state) {
        uint64_t alarm = 42;

        write_file(*state, "wakealarm", "1700000300\n");
        assert_int_equal(rtc_clear_wakealarm(*state, "rtc0"), 0);
        assert_file(*state, "wakealarm", "0");
        assert_int_equal(rtc_read_wakealarm(*state, "rtc0", &alarm), 0);
        assert_int_equal(alarm, 0);
}

static void test_read_wakealarm(void **state) {
        static const struct {
                const char *content;
                int ret;
                uint64_t alarm;
        } table[] = {
                { "",              0,        0 },
                { "\n",            0,        0 },
                { "0\n",           0,        0 },
                { "1700000300\n",  1,        1700000300 },
                { "1700000300",    1,        1700000300 },
                { "12abc\n",       -EBADMSG, 7 },
                { "-1\n",          -EBADMSG, 7 },
        };

        for (size_t i = 0; i < ELEMENTSOF(table); i++) {
                uint64_t alarm = 7;

                write_file(*state, "wakealarm", table[i].content);
                assert_int_equal(rtc_read_wakealarm(*state, "rtc0", &alarm), table[i].ret);
                assert_int_equal(alarm, table[i].alarm);
        }
}

#define TEST(name) cmocka_unit_test_setup_teardown(name, setup_root, teardown_root)

int main(void) {
        const struct CMUnitTest tests[] = {
                TEST(test_set_reads_back_absolute_alarm),
                TEST(test_set_replaces_pending_alarm),
                TEST(test_readback_mismatch_is_eio_and_leaves_no_alarm),
                TEST(test_refused_write_passes_error_and_touches_nothing_else),
                TEST(test_missing_device),
                TEST(test_missing_since_epoch_touches_no_alarm),
                TEST(test_missing_wakealarm_creates_nothing),
                TEST(test_bad_since_epoch),
                TEST(test_bad_arguments),
                TEST(test_overflow),
                TEST(test_clear),
                TEST(test_read_wakealarm),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
