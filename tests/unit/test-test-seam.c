/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The test seams in both kinds of build: a test build (-Dtest-seams=true)
 * reads each variable once; a release build reads none, and the paths the
 * seams would move stay where production has them. Every variable is set
 * before anything reads it, since the first read decides. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "build-config.h"
#include "config.h"
#include "macro.h"
#include "outcome.h"
#include "rtc.h"
#include "test-seam.h"

static const struct {
        TestSeam seam;
        const char *name;
        const char *value;
} seams[] = {
        { TEST_SEAM_SYSFS_ROOT,          "HOSTPM_SYSFS_ROOT",          "/tmp/hostpm-seam-sysfs" },
        { TEST_SEAM_PROC_ROOT,           "HOSTPM_PROC_ROOT",           "/tmp/hostpm-seam-proc" },
        { TEST_SEAM_CONFIG_DIR,          "HOSTPM_CONFIG_DIR",          "/tmp/hostpm-seam-config" },
        { TEST_SEAM_STATE_DIR,           "HOSTPM_STATE_DIR",           "/tmp/hostpm-seam-state" },
        { TEST_SEAM_SLEEP_PATH,          "HOSTPM_SLEEP_PATH",          "/tmp/hostpm-seam-sleep" },
        { TEST_SEAM_TRANSIENT_OMIT,      "HOSTPM_TRANSIENT_OMIT",      "ProtectHome" },
        { TEST_SEAM_IDLE_TIMEOUT_USEC,   "HOSTPM_IDLE_TIMEOUT_USEC",   "1" },
        { TEST_SEAM_LOGIND_TIMEOUT_USEC, "HOSTPM_LOGIND_TIMEOUT_USEC", "2" },
        { TEST_SEAM_POLKIT_TIMEOUT_USEC, "HOSTPM_POLKIT_TIMEOUT_USEC", "3" },
};

static int set_all(void **state) {
        assert_int_equal(unsetenv("STATE_DIRECTORY"), 0);
        for (size_t i = 0; i < ELEMENTSOF(seams); i++)
                assert_int_equal(setenv(seams[i].name, seams[i].value, 1), 0);
        return 0;
}

static void test_build_kind_reaches_the_seams(void **state) {
        /* the option, as meson wrote it, is what test-seam.c was built with */
        assert_int_equal(test_seams_enabled(), ENABLE_TEST_SEAMS);
}

static void test_every_seam_listed(void **state) {
        assert_int_equal(ELEMENTSOF(seams), _TEST_SEAM_MAX);
        for (size_t i = 0; i < ELEMENTSOF(seams); i++)
                assert_int_equal(seams[i].seam, (TestSeam) i);
}

static void test_seams_read_once_or_never(void **state) {
        for (size_t i = 0; i < ELEMENTSOF(seams); i++) {
                const char *v = test_seam_getenv(seams[i].seam);

                if (test_seams_enabled())
                        assert_string_equal(v, seams[i].value);
                else
                        assert_null(v);
        }

        /* the first read decided */
        for (size_t i = 0; i < ELEMENTSOF(seams); i++)
                assert_int_equal(setenv(seams[i].name, "/changed", 1), 0);
        for (size_t i = 0; i < ELEMENTSOF(seams); i++) {
                const char *v = test_seam_getenv(seams[i].seam);

                if (test_seams_enabled())
                        assert_string_equal(v, seams[i].value);
                else
                        assert_null(v);
        }
}

static void test_paths_the_seams_move(void **state) {
        bool on = test_seams_enabled();

        assert_string_equal(rtc_sysfs_root(), on ? "/tmp/hostpm-seam-sysfs" : "/sys");
        assert_string_equal(config_dir(), on ? "/tmp/hostpm-seam-config" : SYSCONFDIR "/hostpm");
        assert_string_equal(outcome_state_dir(), on ? "/tmp/hostpm-seam-state" : "/var/lib/hostpm");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_build_kind_reaches_the_seams),
                cmocka_unit_test(test_every_seam_listed),
                cmocka_unit_test(test_seams_read_once_or_never),
                cmocka_unit_test(test_paths_the_seams_move),
        };

        return cmocka_run_group_tests(tests, set_all, NULL);
}
