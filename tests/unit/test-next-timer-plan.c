/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* "Until the next timer": which of systemd's timers counts (WakeSystem=,
 * NextTimers=), their elapses on either clock, and the wake time chosen
 * against the caller's latest wake, with the refusals' names and words. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "bus-errors.h"
#include "bus-names.h"
#include "next-timer-plan.h"

#define NOW  (UINT64_C(1796000000) * USEC_PER_SEC + 123456)   /* CLOCK_REALTIME */
#define MONO (UINT64_C(5000) * USEC_PER_SEC)                   /* CLOCK_MONOTONIC at the same moment */

static Config config(bool all) {
        Config c;

        config_init_defaults(&c);
        c.next_timer_all = all;
        return c;
}

static void test_wake_system_filter(void **state) {
        _cleanup_(config_done) Config c = config(false);
        _cleanup_(next_timer_done) NextTimer t = {0};

        assert_int_equal(next_timer_add(&t, &c, "early.timer", NOW + USEC_PER_HOUR, 0, false, NOW, MONO), 0);
        assert_int_equal(next_timer_add(&t, &c, "backup.timer", NOW + 3 * USEC_PER_HOUR, 0, true, NOW, MONO), 0);
        assert_int_equal(next_timer_add(&t, &c, "later.timer", NOW + 5 * USEC_PER_HOUR, 0, true, NOW, MONO), 0);
        /* systemd 252 gives a WakeSystem=yes calendar timer a monotonic
         * elapse of a few microseconds after boot: passed, so none */
        assert_int_equal(next_timer_add(&t, &c, "job.timer", NOW + 4 * USEC_PER_HOUR, 3, true, NOW, MONO), 0);
        assert_string_equal(t.unit, "backup.timer");
        assert_int_equal(t.elapse_realtime_usec, NOW + 3 * USEC_PER_HOUR);
        assert_int_equal(t.n_waiting, 4);
        assert_int_equal(t.n_counted, 3);

        /* the same timer alone: its calendar elapse, not "now" */
        next_timer_done(&t);
        assert_int_equal(next_timer_add(&t, &c, "job.timer", NOW + 4 * USEC_PER_HOUR, 3, true, NOW, MONO), 0);
        assert_int_equal(t.elapse_realtime_usec, NOW + 4 * USEC_PER_HOUR);
        /* a monotonic elapse passed and nothing else: not waiting */
        assert_int_equal(next_timer_add(&t, &c, "passed.timer", 0, MONO - 1, true, NOW, MONO), 0);
        assert_string_equal(t.unit, "job.timer");
        assert_int_equal(t.n_waiting, 1);
}

static void test_all_and_clocks(void **state) {
        _cleanup_(config_done) Config c = config(true);
        _cleanup_(next_timer_done) NextTimer t = {0};

        /* none ahead on either clock: not waiting */
        assert_int_equal(next_timer_add(&t, &c, "idle.timer", 0, UINT64_MAX, false, NOW, MONO), 0);
        assert_int_equal(next_timer_add(&t, &c, "idle2.timer", UINT64_MAX, 0, true, NOW, MONO), 0);
        assert_null(t.unit);
        assert_int_equal(t.n_waiting, 0);

        assert_int_equal(next_timer_add(&t, &c, "cal.timer", NOW + USEC_PER_HOUR, 0, false, NOW, MONO), 0);
        /* monotonic: what is left from now, in wall-clock time */
        assert_int_equal(next_timer_add(&t, &c, "mono.timer", 0, MONO + 600 * USEC_PER_SEC, false, NOW, MONO), 0);
        assert_string_equal(t.unit, "mono.timer");
        assert_int_equal(t.elapse_realtime_usec, NOW + 600 * USEC_PER_SEC);
        /* both clocks set: the earlier */
        assert_int_equal(next_timer_add(&t, &c, "both.timer", NOW + 300 * USEC_PER_SEC, MONO + 900 * USEC_PER_SEC,
                                        false, NOW, MONO), 0);
        assert_string_equal(t.unit, "both.timer");
        assert_int_equal(t.elapse_realtime_usec, NOW + 300 * USEC_PER_SEC);
        /* a tie keeps the first */
        assert_int_equal(next_timer_add(&t, &c, "tie.timer", NOW + 300 * USEC_PER_SEC, 0, false, NOW, MONO), 0);
        assert_string_equal(t.unit, "both.timer");
        assert_int_equal(t.n_waiting, 4);
        assert_int_equal(t.n_counted, 4);
}

static SuspendPlan base(const Config *c, const NextTimerBound *b) {
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        SuspendPlan p;

        assert_int_equal(next_timer_check_request(c, "mem", b, 0, 0, NOW, &p, &e), 0);
        return p;
}

static void test_timer_decides(void **state) {
        _cleanup_(config_done) Config c = config(false);
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        NextTimer t = { .unit = (char *) "backup.timer", .elapse_realtime_usec = NOW + 3 * USEC_PER_HOUR };
        NextTimerBound none = {0}, later = { .duration_usec = 5 * USEC_PER_HOUR };
        SuspendPlan p, b_none = base(&c, &none), b_later = base(&c, &later);
        bool by_timer = false;
        uint64_t wake = NOW + 3 * USEC_PER_HOUR - 3 * USEC_PER_MINUTE;

        wake -= wake % USEC_PER_SEC;  /* the RTC's whole second */
        assert_int_equal(next_timer_plan(&c, &b_none, &none, &t, NOW, &p, &by_timer, &e),
                         0);
        assert_true(by_timer);
        assert_int_equal(p.wake_realtime_usec, wake);
        assert_int_equal(p.suspend_realtime_usec, NOW + c.delay_usec);
        assert_int_equal(suspend_plan_wake_usec(&p), wake);

        by_timer = false;
        assert_int_equal(next_timer_plan(&c, &b_later, &later, &t, NOW, &p, &by_timer, &e),
                         0);
        assert_true(by_timer);
        assert_int_equal(p.wake_realtime_usec, wake);
}

static void test_bound_first(void **state) {
        _cleanup_(config_done) Config c = config(false);
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        NextTimer t = { .unit = (char *) "backup.timer", .elapse_realtime_usec = NOW + 3 * USEC_PER_HOUR };
        NextTimerBound duration = { .duration_usec = USEC_PER_HOUR },
                       wake = { .wake_usec = NOW + 2 * USEC_PER_HOUR };
        SuspendPlan p, b_duration = base(&c, &duration), b_wake = base(&c, &wake);
        bool by_timer = true;

        assert_int_equal(next_timer_plan(&c, &b_duration, &duration, &t, NOW, &p,
                                         &by_timer, &e), 0);
        assert_false(by_timer);
        assert_int_equal(p.duration_sec, 3600);
        assert_int_equal(p.wake_realtime_usec, 0);

        by_timer = true;
        assert_int_equal(next_timer_plan(&c, &b_wake, &wake, &t, NOW, &p, &by_timer, &e),
                         0);
        assert_false(by_timer);
        assert_int_equal(p.wake_realtime_usec, NOW + 2 * USEC_PER_HOUR - NOW % USEC_PER_SEC);
}

static void test_no_timer(void **state) {
        _cleanup_(config_done) Config c = config(false), all = config(true);
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL, e2 = SD_BUS_ERROR_NULL;
        NextTimer t = { .n_waiting = 2 };
        NextTimerBound none = {0};
        SuspendPlan p = {0}, b = base(&c, &none);
        bool by_timer = false;

        assert_int_equal(next_timer_plan(&c, &b, &none, &t, NOW, &p, &by_timer, &e), -ENXIO);
        assert_string_equal(e.name, HOSTPM_ERROR_NO_NEXT_TIMER);
        assert_non_null(strstr(e.message, "None of the 2 systemd timers waiting to elapse has WakeSystem=yes"));
        assert_non_null(strstr(e.message, "NextTimers=all in hostpm.conf"));

        assert_int_equal(next_timer_plan(&all, &b, &none, &(NextTimer) {0}, NOW, &p, &by_timer, &e2), -ENXIO);
        assert_non_null(strstr(e2.message, "No systemd timer is waiting to elapse"));
}

static void test_too_soon_and_too_far(void **state) {
        _cleanup_(config_done) Config c = config(false);
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL, e2 = SD_BUS_ERROR_NULL,
                                                  e3 = SD_BUS_ERROR_NULL;
        NextTimerBound none = {0};
        SuspendPlan p = {0}, b = base(&c, &none);
        bool by_timer = false;

        /* 4 min ahead, 3 min lead: a minute less the delay, under MinimumDuration= */
        NextTimer soon = { .unit = (char *) "soon.timer", .elapse_realtime_usec = NOW + 4 * USEC_PER_MINUTE };
        assert_true(next_timer_plan(&c, &b, &none, &soon, NOW, &p, &by_timer, &e) < 0);
        assert_string_equal(e.name, HOSTPM_ERROR_DURATION_OUT_OF_RANGE);
        assert_non_null(strstr(e.message, "The next timer, soon.timer, elapses at "));
        assert_non_null(strstr(e.message, "Let the job run first"));

        /* already elapsing: the wake time is before the suspend */
        NextTimer now = { .unit = (char *) "now.timer", .elapse_realtime_usec = NOW };
        assert_true(next_timer_plan(&c, &b, &none, &now, NOW, &p, &by_timer, &e2) < 0);
        assert_string_equal(e2.name, HOSTPM_ERROR_WAKE_TIME_IN_PAST);

        /* beyond MaximumDuration= (7d) */
        NextTimer far = { .unit = (char *) "monthly.timer", .elapse_realtime_usec = NOW + 8 * USEC_PER_DAY };
        assert_true(next_timer_plan(&c, &b, &none, &far, NOW, &p, &by_timer, &e3) < 0);
        assert_string_equal(e3.name, HOSTPM_ERROR_DURATION_OUT_OF_RANGE);
        assert_non_null(strstr(e3.message, "Give a duration or a wake time to wake earlier."));
        assert_int_equal(p.suspend_realtime_usec, 0);  /* untouched */
}

static void test_bad_requests(void **state) {
        _cleanup_(config_done) Config c = config(false);
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL, e2 = SD_BUS_ERROR_NULL,
                                                  e3 = SD_BUS_ERROR_NULL;
        SuspendPlan p;

        assert_true(next_timer_check_request(&c, "mem", &(NextTimerBound) { USEC_PER_HOUR, NOW + USEC_PER_HOUR },
                                             0, 0, NOW, &p, &e) < 0);
        assert_string_equal(e.name, SD_BUS_ERROR_INVALID_ARGS);
        assert_true(next_timer_check_request(&c, "sleep", &(NextTimerBound) {0}, 0, 0, NOW, &p, &e2) < 0);
        assert_string_equal(e2.name, HOSTPM_ERROR_INVALID_TARGET);
        assert_true(next_timer_check_request(&c, "mem", &(NextTimerBound) { .wake_usec = NOW - 1 }, 0, 0, NOW, &p,
                                             &e3) < 0);
        assert_string_equal(e3.name, HOSTPM_ERROR_WAKE_TIME_IN_PAST);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_wake_system_filter),
                cmocka_unit_test(test_all_and_clocks),
                cmocka_unit_test(test_timer_decides),
                cmocka_unit_test(test_bound_first),
                cmocka_unit_test(test_no_timer),
                cmocka_unit_test(test_too_soon_and_too_far),
                cmocka_unit_test(test_bad_requests),
        };

        assert_int_equal(bus_errors_register(), 0);  /* NoNextTimer is ENXIO */
        return cmocka_run_group_tests(tests, NULL, NULL);
}
