/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <time.h>

#include "macro.h"
#include "timespan.h"

/* POSIX rules rather than zoneinfo names, so the tests need no tzdata:
 * Central European Time, DST from the last Sunday of March 02:00 to the
 * last Sunday of October 03:00. In 2026: 29 March and 25 October. */
#define TZ_BERLIN "CET-1CEST,M3.5.0,M10.5.0/3"

static void set_tz(const char *tz) {
        assert_int_equal(setenv("TZ", tz, 1), 0);
        tzset();
}

static int setup_utc(void **state) {
        set_tz("UTC");
        return 0;
}

static int setup_berlin(void **state) {
        set_tz(TZ_BERLIN);
        return 0;
}

/* CLOCK_REALTIME usec of a UTC date and time */
static uint64_t utc(int year, int mon, int mday, int hour, int min, int sec) {
        struct tm tm = {
                .tm_year = year - 1900, .tm_mon = mon - 1, .tm_mday = mday,
                .tm_hour = hour, .tm_min = min, .tm_sec = sec,
        };
        time_t t = timegm(&tm);

        assert_true(t >= 0);
        return (uint64_t) t * USEC_PER_SEC;
}

static void test_saturating(void **state) {
        assert_int_equal(usec_add(1, 2), 3);
        assert_int_equal(usec_add(UINT64_MAX - 1, 1), UINT64_MAX);
        assert_int_equal(usec_add(UINT64_MAX - 1, 2), UINT64_MAX);
        assert_int_equal(usec_add(UINT64_MAX, UINT64_MAX), UINT64_MAX);
        assert_int_equal(usec_from_sec(90), 90 * USEC_PER_SEC);
        assert_int_equal(usec_from_sec(UINT64_MAX / USEC_PER_SEC), UINT64_MAX / USEC_PER_SEC * USEC_PER_SEC);
        /* what wrapped to 448384 us before: a sleep of 2^64 - 1 us in seconds, rounded up */
        assert_int_equal(usec_from_sec(UINT64_MAX / USEC_PER_SEC + 1), UINT64_MAX);
        assert_int_equal(usec_from_sec(UINT64_MAX), UINT64_MAX);
}

static void test_parse_duration_good(void **state) {
        static const struct {
                const char *s;
                uint64_t usec;
        } good[] = {
                { "90",                     90 * USEC_PER_SEC },
                { "90s",                    90 * USEC_PER_SEC },
                { "15min",                  15 * USEC_PER_MINUTE },
                { "1h 30min",               90 * USEC_PER_MINUTE },
                { "1h30min",                90 * USEC_PER_MINUTE },
                { "2d",                     2 * USEC_PER_DAY },
                { "1.5h",                   90 * USEC_PER_MINUTE },
                { "0.5s",                   500 * USEC_PER_MSEC },
                { "1.25ms",                 1250 },
                { "0.0000001s",             0 },       /* below 1us: dropped */
                { "0",                      0 },
                { "0s",                     0 },
                { "500ms",                  500 * USEC_PER_MSEC },
                { "7us",                    7 },
                { "7usec",                  7 },
                { "3msec",                  3 * USEC_PER_MSEC },
                { "1sec",                   USEC_PER_SEC },
                { "1 second",               USEC_PER_SEC },
                { "2seconds",               2 * USEC_PER_SEC },
                { "1m",                     USEC_PER_MINUTE },
                { "1minute 2minutes",       3 * USEC_PER_MINUTE },
                { "3hr",                    3 * USEC_PER_HOUR },
                { "1hour",                  USEC_PER_HOUR },
                { "2 hours",                2 * USEC_PER_HOUR },
                { "1day 2days",             3 * USEC_PER_DAY },
                { "1w",                     USEC_PER_WEEK },
                { "1week 1weeks",           2 * USEC_PER_WEEK },
                { "  5 min  ",              5 * USEC_PER_MINUTE },
                { "\t1h\t1h",               2 * USEC_PER_HOUR },
                { "1d 1h 1min 1s 1ms 1us",  USEC_PER_DAY + USEC_PER_HOUR + USEC_PER_MINUTE + USEC_PER_SEC +
                                            USEC_PER_MSEC + 1 },
                { "18446744073709551615us", UINT64_MAX },
                { "213503982d 8h 1min 49s 551ms 615us", UINT64_MAX },
        };

        for (size_t i = 0; i < ELEMENTSOF(good); i++) {
                uint64_t usec = 4711;

                assert_int_equal(parse_duration(good[i].s, &usec), 0);
                assert_int_equal(usec, good[i].usec);
        }
}

static void test_parse_duration_bad(void **state) {
        static const struct {
                const char *s;
                int error;
        } bad[] = {
                { "",                       -EINVAL },
                { " ",                      -EINVAL },
                { "0x10",                   -EINVAL },
                { "-5",                     -EINVAL },
                { "+5",                     -EINVAL },
                { "-5s",                    -EINVAL },
                { "5 parsecs",              -EINVAL },
                { "1h garbage",             -EINVAL },
                { "1..5s",                  -EINVAL },
                { "1.s",                    -EINVAL },
                { ".5s",                    -EINVAL },
                { "1h 30",                  -EINVAL },  /* 30 what? */
                { "5s5",                    -EINVAL },
                { "1 2",                    -EINVAL },
                { "5S",                     -EINVAL },  /* units are case-sensitive, as systemd's */
                { "5 MIN",                  -EINVAL },
                { "s",                      -EINVAL },
                { "5s,",                    -EINVAL },
                { "5s;",                    -EINVAL },
                { "1e3s",                   -EINVAL },
                { "@",                      -EINVAL },
                { "12:00",                  -EINVAL },
                { "18446744073709551616",   -ERANGE },
                { "18446744073709551616us", -ERANGE },
                { "18446744073709551615s",  -ERANGE },
                { "99999999999999d",        -ERANGE },
                { "213503982d 8h 1min 49s 551ms 616us", -ERANGE },
                { "18446744073709551615us 1us", -ERANGE },
        };

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                uint64_t usec = 4711;

                print_message("# parse_duration(\"%s\")\n", bad[i].s);
                assert_int_equal(parse_duration(bad[i].s, &usec), bad[i].error);
                assert_int_equal(usec, 4711);  /* untouched on failure */
        }
        assert_int_equal(parse_duration(NULL, &(uint64_t) { 0 }), -EINVAL);
}

static void test_format_duration(void **state) {
        static const struct {
                uint64_t usec;
                const char *s;
        } table[] = {
                { 0,                                     "0s" },
                { 1,                                     "1us" },
                { 500 * USEC_PER_MSEC,                   "500ms" },
                { 1500 * USEC_PER_MSEC,                  "1s 500ms" },
                { 60 * USEC_PER_SEC,                     "1min" },
                { 90 * USEC_PER_MINUTE,                  "1h 30min" },
                { 2 * USEC_PER_DAY + 3 * USEC_PER_HOUR,  "2d 3h" },
                { 23 * USEC_PER_HOUR,                    "23h" },
                { UINT64_MAX,                            "213503982d 8h 1min 49s 551ms 615us" },
        };
        char buf[DURATION_MAX_STRING];

        for (size_t i = 0; i < ELEMENTSOF(table); i++) {
                uint64_t back;

                assert_ptr_equal(format_duration(buf, sizeof buf, table[i].usec), buf);
                assert_string_equal(buf, table[i].s);
                /* what is printed reads back as the same value */
                assert_int_equal(parse_duration(buf, &back), 0);
                assert_int_equal(back, table[i].usec);
        }

        /* too small a buffer: whole components only, still terminated */
        assert_string_equal(format_duration(buf, 4, 90 * USEC_PER_MINUTE), "1h");
        assert_string_equal(format_duration(buf, 2, 90 * USEC_PER_MINUTE), "");
}

static void test_parse_wake_time_utc(void **state) {
        const uint64_t now = utc(2026, 3, 10, 12, 0, 0);
        static const struct {
                const char *s;
                int y, mo, d, h, mi, sec;
        } table[] = {
                { "13:00",               2026, 3, 10, 13, 0, 0 },   /* later today */
                { "12:00:01",            2026, 3, 10, 12, 0, 1 },
                { "12:00",               2026, 3, 11, 12, 0, 0 },   /* now: not ahead, so tomorrow */
                { "11:59:59",            2026, 3, 11, 11, 59, 59 },
                { "9:05",                2026, 3, 11, 9, 5, 0 },
                { "00:00",               2026, 3, 11, 0, 0, 0 },
                { "23:59:59",            2026, 3, 10, 23, 59, 59 },
                { "2026-03-10 08:00",    2026, 3, 10, 8, 0, 0 },    /* past: the caller refuses it */
                { "2026-03-10T08:00:30", 2026, 3, 10, 8, 0, 30 },
                { "2026-12-31 23:59:59", 2026, 12, 31, 23, 59, 59 },
                { "2024-02-29 00:00",    2024, 2, 29, 0, 0, 0 },
                { "2000-02-29 00:00",    2000, 2, 29, 0, 0, 0 },
                { "1970-01-01 00:00",    1970, 1, 1, 0, 0, 0 },
                { "9999-12-31 23:59:59", 9999, 12, 31, 23, 59, 59 },
        };

        for (size_t i = 0; i < ELEMENTSOF(table); i++) {
                uint64_t usec = 0;

                print_message("# parse_wake_time(\"%s\")\n", table[i].s);
                assert_int_equal(parse_wake_time(table[i].s, now, &usec), 0);
                assert_int_equal(usec, utc(table[i].y, table[i].mo, table[i].d, table[i].h, table[i].mi, table[i].sec));
        }
}

static void test_parse_wake_time_epoch(void **state) {
        uint64_t usec = 0;

        assert_int_equal(parse_wake_time("@1790000000", 0, &usec), 0);
        assert_int_equal(usec, 1790000000 * USEC_PER_SEC);
        assert_int_equal(parse_wake_time("@0", 0, &usec), 0);
        assert_int_equal(usec, 0);
        /* the largest whole second that fits */
        assert_int_equal(parse_wake_time("@18446744073709", 0, &usec), 0);
        assert_int_equal(usec, 18446744073709 * USEC_PER_SEC);
}

static void test_parse_wake_time_sub_second_now(void **state) {
        uint64_t usec = 0;

        /* 12:00:00 has passed when now is half a second later */
        assert_int_equal(parse_wake_time("12:00:00", utc(2026, 3, 10, 12, 0, 0) + 500000, &usec), 0);
        assert_int_equal(usec, utc(2026, 3, 11, 12, 0, 0));
        assert_int_equal(parse_wake_time("12:00:01", utc(2026, 3, 10, 12, 0, 0) + 999999, &usec), 0);
        assert_int_equal(usec, utc(2026, 3, 10, 12, 0, 1));
}

static void test_parse_wake_time_month_and_year_end(void **state) {
        uint64_t usec = 0;

        assert_int_equal(parse_wake_time("06:00", utc(2026, 12, 31, 22, 0, 0), &usec), 0);
        assert_int_equal(usec, utc(2027, 1, 1, 6, 0, 0));
        assert_int_equal(parse_wake_time("06:00", utc(2028, 2, 28, 22, 0, 0), &usec), 0);
        assert_int_equal(usec, utc(2028, 2, 29, 6, 0, 0));
}

static void test_parse_wake_time_bad(void **state) {
        static const struct {
                const char *s;
                int error;
        } bad[] = {
                { "",                     -EINVAL },
                { " ",                    -EINVAL },
                { "0x10",                 -EINVAL },
                { "-5",                   -EINVAL },
                { "5 parsecs",            -EINVAL },
                { "1h garbage",           -EINVAL },
                { "1..5s",                -EINVAL },
                { "90s",                  -EINVAL },  /* a duration, not a time */
                { "@",                    -EINVAL },
                { "@-1",                  -EINVAL },
                { "@abc",                 -EINVAL },
                { "@+5",                  -EINVAL },
                { "@ 5",                  -EINVAL },
                { "@5 ",                  -EINVAL },
                { "@1.5",                 -EINVAL },
                { "24:00",                -EINVAL },
                { "25:00",                -EINVAL },
                { "12:60",                -EINVAL },
                { "10:00:60",             -EINVAL },  /* no leap second: mktime() would make it 10:01 */
                { "10:00:61",             -EINVAL },
                { "10:00 extra",          -EINVAL },
                { " 10:00",               -EINVAL },
                { "10:00 ",               -EINVAL },
                { "10:0",                 -EINVAL },
                { "100:00",               -EINVAL },
                { "10:000",               -EINVAL },
                { "10:00:0",              -EINVAL },
                { "10",                   -EINVAL },
                { "10:",                  -EINVAL },
                { ":10",                  -EINVAL },
                { "-1:00",                -EINVAL },
                { "2026-13-01 00:00",     -EINVAL },
                { "2026-00-10 00:00",     -EINVAL },
                { "2026-02-30 10:00",     -EINVAL },
                { "2026-02-29 10:00",     -EINVAL },  /* not a leap year */
                { "2100-02-29 10:00",     -EINVAL },  /* nor is 2100 */
                { "2026-04-31 10:00",     -EINVAL },
                { "2026-04-00 10:00",     -EINVAL },
                { "2026-04-10",           -EINVAL },
                { "2026-04-10 ",          -EINVAL },
                { "2026-04-10  10:00",    -EINVAL },
                { "2026-04-10 24:00",     -EINVAL },
                { "2026-4-10 10:00",      -EINVAL },
                { "26-04-10 10:00",       -EINVAL },
                { "2026/04/10 10:00",     -EINVAL },
                { "2026-04-10 10:00 UTC", -EINVAL },
                { "1969-12-31 23:59",     -ERANGE },  /* before the epoch */
                { "@18446744073710",      -ERANGE },  /* past UINT64_MAX usec */
                { "@18446744073709551616", -ERANGE },
                { "@99999999999999999999999", -ERANGE },
        };

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                uint64_t usec = 4711;

                print_message("# parse_wake_time(\"%s\")\n", bad[i].s);
                assert_int_equal(parse_wake_time(bad[i].s, utc(2026, 3, 10, 12, 0, 0), &usec), bad[i].error);
                assert_int_equal(usec, 4711);
        }
        assert_int_equal(parse_wake_time(NULL, 0, &(uint64_t) { 0 }), -EINVAL);
}

/* The next occurrence is computed in local time, not as now + 24h: across
 * a DST change the UTC result moves by the change. */
static void test_parse_wake_time_dst(void **state) {
        const struct {
                const char *what;
                const char *s;
                uint64_t now;
                uint64_t expected;
        } table[] = {
                { "winter",
                  "08:00", utc(2026, 1, 14, 19, 0, 0),  utc(2026, 1, 15, 7, 0, 0) },
                { "summer",
                  "08:00", utc(2026, 7, 14, 19, 0, 0),  utc(2026, 7, 15, 6, 0, 0) },
                { "the night clocks go forward: tomorrow's 08:00 is CEST",
                  "08:00", utc(2026, 3, 28, 19, 0, 0),  utc(2026, 3, 29, 6, 0, 0) },
                { "the night clocks go back: tomorrow's 08:00 is CET",
                  "08:00", utc(2026, 10, 24, 19, 0, 0), utc(2026, 10, 25, 7, 0, 0) },
                { "02:30 is skipped on 29 March: read on the clock before the change, 03:30 CEST",
                  "02:30", utc(2026, 3, 28, 19, 0, 0),  utc(2026, 3, 29, 1, 30, 0) },
                { "02:30 happens twice on 25 October: the first time, in CEST",
                  "02:30", utc(2026, 10, 24, 20, 0, 0), utc(2026, 10, 25, 0, 30, 0) },
                { "between the two 02:30s (now 02:45 CEST): the second is still ahead today",
                  "02:30", utc(2026, 10, 25, 0, 45, 0), utc(2026, 10, 25, 1, 30, 0) },
                { "after both (now 02:45 CET): tomorrow",
                  "02:30", utc(2026, 10, 25, 1, 45, 0), utc(2026, 10, 26, 1, 30, 0) },
                { "an absolute time in summer",
                  "2026-07-01 12:00", 0,                utc(2026, 7, 1, 10, 0, 0) },
                { "an absolute time that happens twice: the first",
                  "2026-10-25 02:30", 0,                utc(2026, 10, 25, 0, 30, 0) },
                { "an absolute time that is skipped: as for HH:MM",
                  "2026-03-29 02:30", 0,                utc(2026, 3, 29, 1, 30, 0) },
                { "@ is UTC whatever the zone",
                  "@1790000000", 0,                     1790000000 * USEC_PER_SEC },
        };

        for (size_t i = 0; i < ELEMENTSOF(table); i++) {
                uint64_t usec = 0;

                print_message("# %s\n", table[i].what);
                assert_int_equal(parse_wake_time(table[i].s, table[i].now, &usec), 0);
                assert_int_equal(usec, table[i].expected);
        }
}

static void test_format_wall_time(void **state) {
        char buf[WALL_TIME_MAX_STRING];

        set_tz("UTC");
        assert_string_equal(format_wall_time(buf, sizeof buf, 1790000000 * USEC_PER_SEC + 999999),
                            "2026-09-21 14:13:20 UTC");
        set_tz(TZ_BERLIN);
        assert_string_equal(format_wall_time(buf, sizeof buf, utc(2026, 7, 1, 10, 0, 0)), "2026-07-01 12:00:00 CEST");
        assert_string_equal(format_wall_time(buf, sizeof buf, utc(2026, 1, 1, 10, 0, 0)), "2026-01-01 11:00:00 CET");
        assert_null(format_wall_time(buf, 10, 0));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_saturating),
                cmocka_unit_test(test_parse_duration_good),
                cmocka_unit_test(test_parse_duration_bad),
                cmocka_unit_test(test_format_duration),
                cmocka_unit_test_setup(test_parse_wake_time_utc, setup_utc),
                cmocka_unit_test_setup(test_parse_wake_time_epoch, setup_utc),
                cmocka_unit_test_setup(test_parse_wake_time_sub_second_now, setup_utc),
                cmocka_unit_test_setup(test_parse_wake_time_month_and_year_end, setup_utc),
                cmocka_unit_test_setup(test_parse_wake_time_bad, setup_utc),
                cmocka_unit_test_setup(test_parse_wake_time_dst, setup_berlin),
                cmocka_unit_test(test_format_wall_time),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
