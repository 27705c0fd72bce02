/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* A sleep in legs (sleep-legs.h): how many legs a request needs, which
 * ones cannot be armed, and the leg to sleep at each point of the whole,
 * including a wake that came late and suspend-then-hibernate's two
 * parts. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "macro.h"
#include "sleep-legs.h"

static void test_one_leg(void **state) {
        SleepChain c = { .target = SLEEP_TARGET_MEM, .seconds = 300, .range = 86399, .min_seconds = 60 };
        SleepTarget t;
        uint64_t s;
        unsigned legs;

        assert_int_equal(sleep_chain_check(&c, &legs, NULL), 0);
        assert_int_equal(legs, 1);
        assert_int_equal(sleep_chain_next_leg(&c, 0, &t, &s), 1);
        assert_int_equal(t, SLEEP_TARGET_MEM);
        assert_int_equal(s, 300);
        /* woken at the alarm, or later: over, nothing left unslept */
        assert_int_equal(sleep_chain_next_leg(&c, 300, &t, &s), 0);
        assert_int_equal(s, 0);
        assert_int_equal(sleep_chain_next_leg(&c, 301, &t, &s), 0);
        /* no range: one leg, however long */
        c.range = 0;
        c.seconds = 7 * 86400;
        assert_int_equal(sleep_chain_check(&c, &legs, NULL), 0);
        assert_int_equal(legs, 1);
}

static void test_weekend(void **state) {
        /* Friday 18:00 to Monday 06:00 on an RTC without a day alarm */
        SleepChain c = { .target = SLEEP_TARGET_MEM, .seconds = 60 * 3600, .range = 86399, .min_seconds = 60 };
        SleepTarget t;
        uint64_t s, elapsed = 0;
        unsigned legs, n = 0;

        assert_int_equal(sleep_chain_check(&c, &legs, NULL), 0);
        assert_int_equal(legs, 3);
        /* equal legs; each wake 7 s late shortens what follows, never moves the end */
        while (sleep_chain_next_leg(&c, elapsed, &t, &s) == 1) {
                assert_true(s <= c.range);
                assert_true(s >= c.min_seconds);
                elapsed += s + 7;
                n++;
        }
        assert_int_equal(n, 3);
        assert_true(elapsed >= c.seconds);
}

static void test_leg_not_armable(void **state) {
        /* 35 s in legs of at most 30 s: two of 17.5 s, under the minimum of 20 */
        SleepChain c = { .target = SLEEP_TARGET_MEM, .seconds = 35, .range = 30, .min_seconds = 20 };
        _cleanup_free_ char *reason = NULL;
        SleepTarget t;
        uint64_t s;

        assert_int_equal(sleep_chain_check(&c, NULL, &reason), -ERANGE);
        assert_non_null(strstr(reason, "the sleep of 35 s needs 2 legs"));
        assert_non_null(strstr(reason, "a leg of 17 s is less than MinimumDuration= (20 s)"));
        assert_non_null(strstr(reason, "a later leg could not be armed"));
        /* at run time (a late timer) it sleeps as far as the alarm reaches */
        assert_int_equal(sleep_chain_next_leg(&c, 0, &t, &s), 1);
        assert_int_equal(s, 30);

        /* 30 and 40 s are fine: one leg, two of 20 s */
        c.seconds = 30;
        assert_int_equal(sleep_chain_check(&c, NULL, NULL), 0);
        c.seconds = 40;
        assert_int_equal(sleep_chain_check(&c, NULL, NULL), 0);
}

static void test_too_many_legs(void **state) {
        SleepChain c = { .target = SLEEP_TARGET_MEM, .seconds = 366 * 86400, .range = 60, .min_seconds = 1 };
        _cleanup_free_ char *reason = NULL;

        assert_int_equal(sleep_chain_check(&c, NULL, &reason), -E2BIG);
        assert_non_null(strstr(reason, "expected at most 512 legs"));
}

static void test_late_wake_near_the_end(void **state) {
        /* 75 s in legs of at most 30: 25, 25, 25 */
        SleepChain c = { .target = SLEEP_TARGET_MEM, .seconds = 75, .range = 30, .min_seconds = 20 };
        SleepTarget t;
        uint64_t s;

        assert_int_equal(sleep_chain_check(&c, NULL, NULL), 0);
        assert_int_equal(sleep_chain_next_leg(&c, 0, &t, &s), 1);
        assert_int_equal(s, 25);
        /* woke 3 s late: 47 left, two legs of 24 (rounded up) */
        assert_int_equal(sleep_chain_next_leg(&c, 28, &t, &s), 1);
        assert_int_equal(s, 24);
        /* woke 12 s late: 38 left, which no two legs of 20 divide: as far
         * as the alarm reaches, then 8 s are too few to arm */
        assert_int_equal(sleep_chain_next_leg(&c, 37, &t, &s), 1);
        assert_int_equal(s, 30);
        assert_int_equal(sleep_chain_next_leg(&c, 67, &t, &s), 0);
        assert_int_equal(s, 8);
}

static void test_suspend_then_hibernate(void **state) {
        SleepChain c = { .target = SLEEP_TARGET_SUSPEND_THEN_HIBERNATE, .seconds = 80, .range = 25,
                         .min_seconds = 20, .hibernate_after = 50 };
        SleepTarget t;
        uint64_t s;
        unsigned legs;

        /* RAM for 50 s in legs of 25, then disk for 30 s in legs of at
         * most 25: two of 15, less than the minimum */
        assert_int_equal(sleep_chain_check(&c, &legs, NULL), -ERANGE);
        c.range = 30;
        assert_int_equal(sleep_chain_check(&c, &legs, NULL), 0);
        assert_int_equal(legs, 3);
        assert_int_equal(sleep_chain_part_target(&c, 0), SLEEP_TARGET_MEM);
        assert_int_equal(sleep_chain_part_target(&c, 1), SLEEP_TARGET_DISK);

        assert_int_equal(sleep_chain_next_leg(&c, 0, &t, &s), 1);
        assert_true(t == SLEEP_TARGET_MEM && s == 25);
        assert_int_equal(sleep_chain_next_leg(&c, 28, &t, &s), 1);
        assert_true(t == SLEEP_TARGET_MEM && s == 22);
        assert_int_equal(sleep_chain_next_leg(&c, 52, &t, &s), 1);
        assert_true(t == SLEEP_TARGET_DISK && s == 28);
        assert_int_equal(sleep_chain_next_leg(&c, 80, &t, &s), 0);
        /* less than the minimum left in RAM: the disk part begins now */
        assert_int_equal(sleep_chain_next_leg(&c, 45, &t, &s), 1);
        assert_true(t == SLEEP_TARGET_DISK && s == 30);

        /* too little left for the disk: all of it in RAM */
        c.seconds = 60;
        assert_int_equal(sleep_chain_check(&c, &legs, NULL), 0);
        assert_int_equal(legs, 2);
        assert_int_equal(sleep_chain_part_target(&c, 1), SLEEP_TARGET_MEM);
        /* no split asked: logind's own method, in one leg */
        c.hibernate_after = 0;
        assert_int_equal(sleep_chain_next_leg(&c, 0, &t, &s), 1);
        assert_true(t == SLEEP_TARGET_SUSPEND_THEN_HIBERNATE && s == 30);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_one_leg),
                cmocka_unit_test(test_weekend),
                cmocka_unit_test(test_leg_not_armable),
                cmocka_unit_test(test_too_many_legs),
                cmocka_unit_test(test_late_wake_near_the_end),
                cmocka_unit_test(test_suspend_then_hibernate),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
