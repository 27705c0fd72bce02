/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <inttypes.h>

#include "macro.h"
#include "sleep-args.h"
#include "sleep-decision.h"

static void test_inhibitors(void **state) {
        static const struct {
                const char *what, *mode;
                bool blocks;
        } table[] = {
                { "sleep",                         "block", true  },
                { "shutdown:sleep",                "block", true  },
                { "sleep:idle",                    "block", true  },
                { "idle:sleep:handle-lid-switch",  "block", true  },
                { "sleep",                         "delay", false },  /* logind only waits */
                { "shutdown:sleep",                "delay", false },
                { "shutdown",                      "block", false },
                { "idle:handle-suspend-key",       "block", false },  /* not the sleep itself */
                { "sleepy",                        "block", false },
                { "nosleep",                       "block", false },
                { "sleep-ish:idle",                "block", false },
                { "",                              "block", false },
                { "sleep",                         "",      false },
                { "sleep",                         "Block", false },
        };

        for (size_t i = 0; i < ELEMENTSOF(table); i++) {
                Inhibitor inh = { .what = table[i].what, .mode = table[i].mode, .who = "x", .why = "y" };

                if (inhibitor_blocks_sleep(&inh) != table[i].blocks)
                        fail_msg("what=\"%s\" mode=\"%s\": expected %s", table[i].what, table[i].mode,
                                 table[i].blocks ? "blocks" : "does not block");
        }
}

static void test_inhibitor_with_missing_strings(void **state) {
        Inhibitor inh = { .what = NULL, .mode = "block" };

        assert_false(inhibitor_blocks_sleep(&inh));
        inh = (Inhibitor) { .what = "sleep", .mode = NULL };
        assert_false(inhibitor_blocks_sleep(&inh));
}

static void test_refusal_message(void **state) {
        Inhibitor inh = { .what = "sleep", .who = "backup", .why = "Nightly backup running", .mode = "block",
                          .uid = 0, .pid = 812 };
        _cleanup_free_ char *m = NULL, *m2 = NULL;

        assert_int_equal(inhibitor_refusal_message(&inh, &m), 0);
        assert_string_equal(m, "sleep is blocked by backup (uid 0, pid 812): Nightly backup running");

        inh.who = "";
        inh.why = NULL;
        assert_int_equal(inhibitor_refusal_message(&inh, &m2), 0);
        assert_string_equal(m2, "sleep is blocked by an unnamed inhibitor (uid 0, pid 812): no reason given");
}

static void test_resume_wait(void **state) {
        /* max(60 s, 10 %) on top of the asked time */
        assert_int_equal(resume_wait_usec(1), 61 * USEC_PER_SEC);
        assert_int_equal(resume_wait_usec(60), 120 * USEC_PER_SEC);
        assert_int_equal(resume_wait_usec(600), 660 * USEC_PER_SEC);
        assert_int_equal(resume_wait_usec(601), 661 * USEC_PER_SEC + 100 * USEC_PER_MSEC);
        assert_int_equal(resume_wait_usec(3600), 3960 * USEC_PER_SEC);
        assert_int_equal(resume_wait_usec(82800), 91080 * USEC_PER_SEC);
        /* the largest accepted duration is far from overflow */
        assert_int_equal(resume_wait_usec(SLEEP_SECONDS_MAX), SLEEP_SECONDS_MAX * USEC_PER_SEC * 11 / 10);
}

static void test_seconds_until(void **state) {
        uint64_t s = 7;

        assert_int_equal(seconds_until(1000, 999 * USEC_PER_SEC, &s), 0);
        assert_int_equal(s, 1);
        assert_int_equal(seconds_until(1000 + SLEEP_SECONDS_MAX, 1000 * USEC_PER_SEC, &s), 0);
        assert_int_equal(s, SLEEP_SECONDS_MAX);
        /* to the nearest second: 75.1 s ahead is 75, 75.6 s is 76 */
        assert_int_equal(seconds_until(86, 10900 * USEC_PER_MSEC, &s), 0);
        assert_int_equal(s, 75);
        assert_int_equal(seconds_until(86, 10400 * USEC_PER_MSEC, &s), 0);
        assert_int_equal(s, 76);
        s = 7;
        assert_int_equal(seconds_until(1000, 999600 * USEC_PER_MSEC, &s), -ETIME);  /* 0.4 s */
        assert_int_equal(seconds_until(1000, 1000 * USEC_PER_SEC, &s), -ETIME);
        assert_int_equal(seconds_until(1000, 5000 * USEC_PER_SEC, &s), -ETIME);
        assert_int_equal(seconds_until(1001 + SLEEP_SECONDS_MAX, 1000 * USEC_PER_SEC, &s), -ERANGE);
        assert_int_equal(seconds_until(UINT64_MAX, 0, &s), -ERANGE);
        assert_int_equal(s, 7);
}

static void test_alarm_reached(void **state) {
        static const struct {
                SleepTarget target;
                uint64_t now, alarm;
                bool reached;
        } table[] = {
                { SLEEP_TARGET_MEM,    1000,  1000, true  },
                { SLEEP_TARGET_MEM,     998,  1000, true  },  /* 2 s early: clocks read a moment apart */
                { SLEEP_TARGET_MEM,     997,  1000, false },  /* woken by something else */
                { SLEEP_TARGET_MEM,       0,  1000, false },
                { SLEEP_TARGET_MEM,    1030,  1000, true  },  /* resume from RAM took its time */
                { SLEEP_TARGET_MEM,    1031,  1000, false },  /* the alarm passed, someone woke it later */
                { SLEEP_TARGET_HYBRID, 1030,  1000, true  },  /* hybrid wakes from RAM */
                { SLEEP_TARGET_HYBRID, 1031,  1000, false },
                { SLEEP_TARGET_DISK,   1300,  1000, true  },  /* the image is read back after the wake */
                { SLEEP_TARGET_DISK,   1301,  1000, false },
                { SLEEP_TARGET_SUSPEND_THEN_HIBERNATE, 1300, 1000, true },
                { SLEEP_TARGET_DISK,    997,  1000, false },
                { SLEEP_TARGET_MEM,    1000,     0, false },  /* no alarm, nothing reached */
        };

        for (size_t i = 0; i < ELEMENTSOF(table); i++)
                if (alarm_reached_at_resume(table[i].target, table[i].now, table[i].alarm) != table[i].reached)
                        fail_msg("row %zu: %s now=%" PRIu64 " alarm=%" PRIu64 ": expected %s", i,
                                 sleep_target_to_string(table[i].target), table[i].now, table[i].alarm,
                                 table[i].reached ? "reached" : "not reached");
}

static void test_logind_errors(void **state) {
        /* a real answer from logind (or the bus on its behalf): it did not act */
        assert_true(logind_error_is_refusal("org.freedesktop.DBus.Error.AccessDenied"));
        assert_true(logind_error_is_refusal("org.freedesktop.login1.OperationInProgress"));
        assert_true(logind_error_is_refusal("org.freedesktop.DBus.Error.ServiceUnknown"));
        assert_true(logind_error_is_refusal("org.freedesktop.DBus.Error.InteractiveAuthorizationRequired"));
        assert_true(logind_error_is_refusal("org.freedesktop.DBus.Error.UnknownMethod"));
        /* no answer: it may have accepted, keep the alarm */
        assert_false(logind_error_is_refusal("org.freedesktop.DBus.Error.NoReply"));
        assert_false(logind_error_is_refusal("org.freedesktop.DBus.Error.Timeout"));
        assert_false(logind_error_is_refusal("org.freedesktop.DBus.Error.TimedOut"));
        assert_false(logind_error_is_refusal("org.freedesktop.DBus.Error.Disconnected"));
        assert_false(logind_error_is_refusal(NULL));
}

static void test_time_suspended(void **state) {
        const uint64_t s = USEC_PER_SEC;

        /* 5 s awake before and after, 300 s asleep in between */
        assert_int_equal(time_suspended_usec(100 * s, 50 * s, 410 * s, 60 * s), 300 * s);
        /* no sleep (the test bed's mock logind) */
        assert_int_equal(time_suspended_usec(100 * s, 50 * s, 130 * s, 80 * s), 0);
        /* clocks that went backwards are nonsense, not a huge sleep */
        assert_int_equal(time_suspended_usec(100 * s, 50 * s, 90 * s, 60 * s), 0);
        assert_int_equal(time_suspended_usec(100 * s, 50 * s, 400 * s, 40 * s), 0);
        assert_int_equal(time_suspended_usec(100 * s, 50 * s, 100 * s + 1, 50 * s + 2), 0);
}

/* A reading: MONOTONIC, BOOTTIME, MONOTONIC (microseconds), and the counters. */
#define S(sec) ((sec) * USEC_PER_SEC)
static SleepEvidence at(uint64_t mono_before, uint64_t boot, uint64_t mono_after, bool stats, int64_t success,
                        int64_t fail) {
        return (SleepEvidence) {
                .mono_before_usec = mono_before,
                .boot_usec = boot,
                .mono_after_usec = mono_after,
                .have_clocks = true,
                .have_stats = stats,
                .success = success,
                .fail = fail,
        };
}

static void test_resume_evidence(void **state) {
        const struct {
                const char *what;
                SleepEvidence before, after;
                ResumeEvidence expected;
        } table[] = {  /* not static: at() is a function */
                { "30 s awake, nothing moved (a forged or unfounded PrepareForSleep(false))",
                  at(S(50), S(100), S(50), true, 3, 1), at(S(80), S(130), S(80), true, 3, 1), RESUME_EVIDENCE_NONE },
                { "the same on a kernel without suspend_stats",
                  at(S(50), S(100), S(50), false, 0, 0), at(S(80), S(130), S(80), false, 0, 0), RESUME_EVIDENCE_NONE },
                /* preempted for 2 s between two of the reads: never a sleep */
                { "preempted before BOOTTIME at the commit",
                  at(S(50), S(102), S(52), true, 3, 1), at(S(80), S(130), S(80), true, 3, 1), RESUME_EVIDENCE_NONE },
                { "preempted after BOOTTIME at the commit",
                  at(S(50), S(100), S(52), true, 3, 1), at(S(80), S(130), S(80), true, 3, 1), RESUME_EVIDENCE_NONE },
                { "preempted before BOOTTIME at the resume",
                  at(S(50), S(100), S(50), true, 3, 1), at(S(78), S(130), S(80), true, 3, 1), RESUME_EVIDENCE_NONE },
                { "preempted after BOOTTIME at the resume",
                  at(S(50), S(100), S(50), true, 3, 1), at(S(80), S(130), S(82), true, 3, 1), RESUME_EVIDENCE_NONE },
                { "300 s suspended",
                  at(S(50), S(100), S(50), false, 0, 0), at(S(60), S(410), S(60), false, 0, 0), RESUME_EVIDENCE_SLEPT },
                { "exactly 1 ms suspended",
                  at(S(50), S(100), S(50), false, 0, 0), at(S(60), S(110) + 1000, S(60), false, 0, 0), RESUME_EVIDENCE_SLEPT },
                { "just under 1 ms suspended",
                  at(S(50), S(100), S(50), false, 0, 0), at(S(60), S(110) + 999, S(60), false, 0, 0), RESUME_EVIDENCE_NONE },
                { "suspend_stats/success moved, no time counted (the test bed's mock logind)",
                  at(S(50), S(100), S(50), true, 3, 1), at(S(80), S(130), S(80), true, 4, 1), RESUME_EVIDENCE_SLEPT },
                { "success wrapped around",
                  at(S(50), S(100), S(50), true, INT32_MAX, 1), at(S(80), S(130), S(80), true, INT32_MIN, 1), RESUME_EVIDENCE_SLEPT },
                { "suspend_stats/fail moved and nothing else",
                  at(S(50), S(100), S(50), true, 3, 1), at(S(80), S(130), S(80), true, 3, 2), RESUME_EVIDENCE_SUSPEND_FAILED },
                { "a failure, then a suspend",
                  at(S(50), S(100), S(50), true, 3, 1), at(S(80), S(130), S(80), true, 4, 2), RESUME_EVIDENCE_SLEPT },
                { "a failed suspend, then a hibernation (which suspend_stats does not count)",
                  at(S(50), S(100), S(50), true, 3, 1), at(S(80), S(430), S(80), true, 3, 2), RESUME_EVIDENCE_SLEPT },
                { "suspend_stats appeared in between: not comparable",
                  at(S(50), S(100), S(50), false, 0, 0), at(S(80), S(130), S(80), true, 4, 2), RESUME_EVIDENCE_NONE },
                { "suspend_stats vanished in between: not comparable",
                  at(S(50), S(100), S(50), true, 3, 1), at(S(80), S(130), S(80), false, 0, 0), RESUME_EVIDENCE_NONE },
                { "clocks that went backwards are nonsense, not a sleep",
                  at(S(50), S(100), S(50), false, 0, 0), at(S(40), S(400), S(40), false, 0, 0), RESUME_EVIDENCE_NONE },
        };

        for (size_t i = 0; i < ELEMENTSOF(table); i++) {
                ResumeEvidence e = resume_evidence(&table[i].before, &table[i].after);

                if (e != table[i].expected)
                        fail_msg("%s: expected %d, got %d", table[i].what, table[i].expected, e);
        }
}

static void test_resume_evidence_without_clocks(void **state) {
        SleepEvidence before = at(S(50), S(100), S(50), false, 0, 0), after = at(S(80), S(430), S(80), false, 0, 0);

        /* a clock that could not be read reads 0: from 0, all time since
         * boot would look like a sleep */
        before.have_clocks = false;
        before.mono_before_usec = before.boot_usec = before.mono_after_usec = 0;
        assert_int_equal(resume_evidence(&before, &after), RESUME_EVIDENCE_NONE);
        assert_int_equal(sleep_evidence_suspended_usec(&before, &after), 0);

        before = at(S(50), S(100), S(50), false, 0, 0);
        after.have_clocks = false;
        assert_int_equal(resume_evidence(&before, &after), RESUME_EVIDENCE_NONE);
        /* the counters still count */
        before.have_stats = after.have_stats = true;
        after.success = 1;
        assert_int_equal(resume_evidence(&before, &after), RESUME_EVIDENCE_SLEPT);
}

static void test_suspended_lower_bound(void **state) {
        /* 300 s asleep, read with 2 s of preemption in each reading: the
         * least it can have been is 296 s */
        SleepEvidence before = at(S(50), S(102), S(52), false, 0, 0), after = at(S(58), S(408), S(60), false, 0, 0);

        assert_int_equal(sleep_evidence_suspended_usec(&before, &after), 296 * USEC_PER_SEC);
        before = at(S(50), S(100), S(50), false, 0, 0);
        after = at(S(60), S(410), S(60), false, 0, 0);
        assert_int_equal(sleep_evidence_suspended_usec(&before, &after), 300 * USEC_PER_SEC);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_inhibitors),
                cmocka_unit_test(test_inhibitor_with_missing_strings),
                cmocka_unit_test(test_refusal_message),
                cmocka_unit_test(test_resume_wait),
                cmocka_unit_test(test_seconds_until),
                cmocka_unit_test(test_alarm_reached),
                cmocka_unit_test(test_logind_errors),
                cmocka_unit_test(test_time_suspended),
                cmocka_unit_test(test_resume_evidence),
                cmocka_unit_test(test_resume_evidence_without_clocks),
                cmocka_unit_test(test_suspended_lower_bound),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
