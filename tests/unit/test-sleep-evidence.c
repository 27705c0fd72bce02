/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <ftw.h>
#include <sys/stat.h>

#include "macro.h"
#include "sleep-evidence.h"

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        return remove(path);
}

static int setup_root(void **state) {
        char *root = strdup("/tmp/hostpm-test-sleep-evidence-XXXXXX");

        assert_non_null(mkdtemp(root));
        *state = root;
        return 0;
}

static int teardown_root(void **state) {
        nftw(*state, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
        free(*state);
        return 0;
}

static void write_counter(const char *root, const char *name, const char *content) {
        _cleanup_free_ char *dir = NULL, *path = NULL;
        FILE *f;

        assert_true(asprintf(&dir, "%s/power/suspend_stats", root) > 0);
        assert_true(asprintf(&path, "%s/%s", dir, name) > 0);
        (void) mkdir(dir, 0755);
        f = fopen(path, "we");
        assert_non_null(f);
        fputs(content, f);
        fclose(f);
}

static void test_clocks_bracket(void **state) {
        SleepEvidence e;

        sleep_evidence_read(*state, &e);
        assert_true(e.have_clocks);
        assert_true(e.mono_before_usec <= e.mono_after_usec);
        /* time suspended since boot is never negative */
        assert_true(e.boot_usec >= e.mono_before_usec);
}

static void test_no_suspend_stats(void **state) {
        SleepEvidence e;

        sleep_evidence_read(*state, &e);
        assert_false(e.have_stats);
}

static void test_suspend_stats(void **state) {
        char dir[4096];
        SleepEvidence e;

        /* the kernel's power/ directory, created for the counters */
        assert_true(snprintf(dir, sizeof dir, "%s/power", (const char *) *state) > 0);
        assert_int_equal(mkdir(dir, 0755), 0);
        write_counter(*state, "success", "17\n");
        write_counter(*state, "fail", "2\n");
        sleep_evidence_read(*state, &e);
        assert_true(e.have_stats);
        assert_int_equal(e.success, 17);
        assert_int_equal(e.fail, 2);

        /* printed as an int: it may have wrapped */
        write_counter(*state, "success", "-2147483648\n");
        sleep_evidence_read(*state, &e);
        assert_true(e.have_stats);
        assert_int_equal(e.success, INT32_MIN);

        static const char *const bad[] = { "", "\n", "x\n", "12x\n", " \n", "99999999999999999999999\n" };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                write_counter(*state, "success", bad[i]);
                sleep_evidence_read(*state, &e);
                if (e.have_stats)
                        fail_msg("success=\"%s\" read as a number", bad[i]);
        }

        /* one counter missing: no counters */
        write_counter(*state, "success", "17\n");
        assert_true(snprintf(dir, sizeof dir, "%s/power/suspend_stats/fail", (const char *) *state) > 0);
        assert_int_equal(unlink(dir), 0);
        sleep_evidence_read(*state, &e);
        assert_false(e.have_stats);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_clocks_bracket, setup_root, teardown_root),
                cmocka_unit_test_setup_teardown(test_no_suspend_stats, setup_root, teardown_root),
                cmocka_unit_test_setup_teardown(test_suspend_stats, setup_root, teardown_root),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
