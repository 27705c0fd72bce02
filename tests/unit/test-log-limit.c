/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "log-limit.h"

#define T0 (UINT64_C(1000) * USEC_PER_SEC)

static LogLimit *new_limit(void) {
        LogLimit *l = calloc(1, sizeof *l);

        assert_non_null(l);
        return l;
}

static void test_burst_then_drops(void **state) {
        _cleanup_free_ LogLimit *l = new_limit();
        uint64_t dropped = 99;

        for (unsigned i = 0; i < LOG_LIMIT_BURST; i++) {
                assert_int_equal(log_limit_check(l, 1000, T0, &dropped), LOG_LIMIT_PASS);
                assert_int_equal(dropped, 0);
        }
        /* the first drop is said once, the rest quietly */
        assert_int_equal(log_limit_check(l, 1000, T0, NULL), LOG_LIMIT_DROP_FIRST);
        for (unsigned i = 0; i < 100; i++)
                assert_int_equal(log_limit_check(l, 1000, T0 + LOG_LIMIT_INTERVAL_USEC - 1, NULL), LOG_LIMIT_DROP);

        /* one interval later: one more entry, which says what was lost */
        assert_int_equal(log_limit_check(l, 1000, T0 + LOG_LIMIT_INTERVAL_USEC, &dropped), LOG_LIMIT_PASS);
        assert_int_equal(dropped, 101);
        assert_int_equal(log_limit_check(l, 1000, T0 + LOG_LIMIT_INTERVAL_USEC, NULL), LOG_LIMIT_DROP_FIRST);
}

static void test_refill_is_bounded(void **state) {
        _cleanup_free_ LogLimit *l = new_limit();
        unsigned passed = 0;

        for (unsigned i = 0; i < LOG_LIMIT_BURST; i++)
                assert_int_equal(log_limit_check(l, 7, T0, NULL), LOG_LIMIT_PASS);
        /* a day of silence earns a burst, not a day's worth */
        for (unsigned i = 0; i < 3 * LOG_LIMIT_BURST; i++)
                passed += log_limit_check(l, 7, T0 + 24 * 3600 * USEC_PER_SEC, NULL) == LOG_LIMIT_PASS;
        assert_int_equal(passed, LOG_LIMIT_BURST);

        /* a steady caller gets one entry per interval, whatever its rate */
        passed = 0;
        for (uint64_t t = 0; t <= 60 * USEC_PER_SEC; t += 100 * USEC_PER_MSEC)
                passed += log_limit_check(l, 7, T0 + 24 * 3600 * USEC_PER_SEC + t, NULL) == LOG_LIMIT_PASS;
        assert_int_equal(passed, 60 * USEC_PER_SEC / LOG_LIMIT_INTERVAL_USEC);
}

static void test_uids_apart(void **state) {
        _cleanup_free_ LogLimit *l = new_limit();

        for (unsigned i = 0; i < 5 * LOG_LIMIT_BURST; i++)
                (void) log_limit_check(l, 1000, T0, NULL);
        /* another user is not silenced by the first one */
        for (unsigned i = 0; i < LOG_LIMIT_BURST; i++)
                assert_int_equal(log_limit_check(l, 1001, T0, NULL), LOG_LIMIT_PASS);
        assert_int_equal(log_limit_check(l, 1000, T0, NULL), LOG_LIMIT_DROP);
}

static void test_clock_going_back(void **state) {
        _cleanup_free_ LogLimit *l = new_limit();

        for (unsigned i = 0; i < LOG_LIMIT_BURST; i++)
                assert_int_equal(log_limit_check(l, 5, T0, NULL), LOG_LIMIT_PASS);
        /* time that went back earns nothing */
        assert_int_equal(log_limit_check(l, 5, 0, NULL), LOG_LIMIT_DROP_FIRST);
        assert_int_equal(log_limit_check(l, 5, T0 - 1, NULL), LOG_LIMIT_DROP);
}

static void test_table_full(void **state) {
        _cleanup_free_ LogLimit *l = new_limit();

        /* a UID that used up its bucket ... */
        for (unsigned i = 0; i <= LOG_LIMIT_BURST; i++)
                (void) log_limit_check(l, 1, T0, NULL);
        /* ... keeps it while more UIDs than the table holds come by, each
         * taking a token: only buckets fuller than its are given away */
        for (uid_t u = 100; u < 100 + 3 * LOG_LIMIT_UIDS; u++)
                assert_int_equal(log_limit_check(l, u, T0, NULL), LOG_LIMIT_PASS);
        assert_int_equal(log_limit_check(l, 1, T0, NULL), LOG_LIMIT_DROP);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_burst_then_drops),
                cmocka_unit_test(test_refill_is_bounded),
                cmocka_unit_test(test_uids_apart),
                cmocka_unit_test(test_clock_going_back),
                cmocka_unit_test(test_table_full),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
