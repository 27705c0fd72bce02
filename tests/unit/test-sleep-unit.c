/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The evidence of a hibernation (sleep-unit.h): the clocks alone are not
 * enough, since the snapshot moves CLOCK_BOOTTIME; the service that ran
 * it must have run since the commit and succeeded. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>

#include "macro.h"
#include "sleep-unit.h"

#define COMMITTED UINT64_C(5000000)

static SleepUnitRun run(const char *state, const char *result, uint64_t start, int32_t status) {
        SleepUnitRun u = { .read = true, .start_monotonic = start, .exit_status = status };

        snprintf(u.active_state, sizeof u.active_state, "%s", state);
        snprintf(u.result, sizeof u.result, "%s", result);
        return u;
}

static ResumeEvidence judge(SleepTarget t, SleepUnitRun u, ResumeEvidence clocks, char **failure) {
        return image_resume_evidence(t, &u, COMMITTED, clocks, failure);
}

static void test_units(void **state) {
        assert_null(sleep_target_to_sleep_unit(SLEEP_TARGET_MEM));
        assert_string_equal(sleep_target_to_sleep_unit(SLEEP_TARGET_DISK), "systemd-hibernate.service");
        assert_string_equal(sleep_target_to_sleep_unit(SLEEP_TARGET_HYBRID), "systemd-hybrid-sleep.service");
        assert_string_equal(sleep_target_to_sleep_unit(SLEEP_TARGET_SUSPEND_THEN_HIBERNATE),
                            "systemd-suspend-then-hibernate.service");
}

static void test_failed_hibernation_is_no_sleep(void **state) {
        _cleanup_free_ char *failure = NULL;

        /* the snapshot's clock jump says "slept"; the service says no */
        assert_int_equal(judge(SLEEP_TARGET_DISK, run("failed", "exit-code", COMMITTED + 1000, 1),
                               RESUME_EVIDENCE_SLEPT, &failure), RESUME_EVIDENCE_SUSPEND_FAILED);
        assert_non_null(failure);
        assert_non_null(strstr(failure, "systemd-hibernate.service failed (result exit-code, exit status 1)"));
        assert_non_null(strstr(failure, "did not hibernate"));
}

static void test_success_then_clocks_decide(void **state) {
        char *failure = NULL;

        assert_int_equal(judge(SLEEP_TARGET_DISK, run("inactive", "success", COMMITTED + 1, 0),
                               RESUME_EVIDENCE_SLEPT, &failure), RESUME_EVIDENCE_SLEPT);
        assert_null(failure);
        assert_int_equal(judge(SLEEP_TARGET_HYBRID, run("inactive", "success", COMMITTED, 0),
                               RESUME_EVIDENCE_NONE, &failure), RESUME_EVIDENCE_NONE);
        assert_null(failure);
}

static void test_not_this_run(void **state) {
        char *failure = NULL;

        /* an earlier run, a success or a failure, says nothing of this one */
        assert_int_equal(judge(SLEEP_TARGET_DISK, run("inactive", "success", COMMITTED - 1, 0),
                               RESUME_EVIDENCE_SLEPT, &failure), RESUME_EVIDENCE_NONE);
        assert_int_equal(judge(SLEEP_TARGET_DISK, run("failed", "exit-code", COMMITTED - 1, 1),
                               RESUME_EVIDENCE_SLEPT, &failure), RESUME_EVIDENCE_NONE);
        /* never started (an unloaded unit reads so) */
        assert_int_equal(judge(SLEEP_TARGET_DISK, run("inactive", "success", 0, 0),
                               RESUME_EVIDENCE_SLEPT, &failure), RESUME_EVIDENCE_NONE);
        /* still running */
        assert_int_equal(judge(SLEEP_TARGET_DISK, run("activating", "success", COMMITTED + 5, 0),
                               RESUME_EVIDENCE_SLEPT, &failure), RESUME_EVIDENCE_NONE);
        /* PID 1 did not answer */
        SleepUnitRun unknown = {0};
        assert_int_equal(image_resume_evidence(SLEEP_TARGET_DISK, &unknown, COMMITTED, RESUME_EVIDENCE_SLEPT,
                                               &failure), RESUME_EVIDENCE_NONE);
        assert_null(failure);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_units),
                cmocka_unit_test(test_failed_hibernation_is_no_sleep),
                cmocka_unit_test(test_success_then_clocks_decide),
                cmocka_unit_test(test_not_this_run),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
