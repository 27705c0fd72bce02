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
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
