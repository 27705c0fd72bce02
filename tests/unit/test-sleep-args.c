/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <fcntl.h>

#include "log.h"
#include "macro.h"
#include "sleep-args.h"

#define MAX_ARGS 16

/* Parses a NULL-terminated list as hostpm-sleep's argv. */
static int parse(SleepArgs *ret, ...) {
        char *argv[MAX_ARGS + 1] = { (char *) "hostpm-sleep" };
        int argc = 1;
        va_list ap;

        va_start(ap, ret);
        for (char *a; (a = va_arg(ap, char *)); )
                argv[argc++] = a;
        va_end(ap);
        argv[argc] = NULL;
        return sleep_args_parse(argc, argv, ret);
}

#define GOOD "--target=mem", "--seconds=300", "--id=9f86d081884c7d659a2feaa0c55ad015", \
             "--requester-uid=1000", "--requester-pid=4242"

static void test_complete_command_line(void **state) {
        SleepArgs a = {0};

        assert_int_equal(parse(&a, GOOD, NULL), 1);
        assert_int_equal(a.target, SLEEP_TARGET_MEM);
        assert_int_equal(a.seconds, 300);
        assert_int_equal(a.wake_at, 0);
        assert_string_equal(a.id, "9f86d081884c7d659a2feaa0c55ad015");
        assert_int_equal(a.requester_uid, 1000);
        assert_int_equal(a.requester_pid, 4242);
        assert_false(a.ignore_inhibitors);
        assert_string_equal(a.rtc_device, "rtc0");
}

static void test_every_option(void **state) {
        SleepArgs a = {0};

        assert_int_equal(parse(&a, "--target", "suspend-then-hibernate", "--wake-at=1800000000",
                               "--id=hostpm-sleep.a_b:c@d", "--requester-uid=0", "--requester-pid=0",
                               "--ignore-inhibitors", "--rtc-device=rtc1", NULL), 1);
        assert_int_equal(a.target, SLEEP_TARGET_SUSPEND_THEN_HIBERNATE);
        assert_int_equal(a.seconds, 0);
        assert_int_equal(a.wake_at, 1800000000);
        assert_int_equal(a.requester_uid, 0);
        assert_int_equal(a.requester_pid, 0);
        assert_true(a.ignore_inhibitors);
        assert_string_equal(a.rtc_device, "rtc1");
        assert_null(a.wake_on_lan);
}

static void test_wake_on_lan(void **state) {
        SleepArgs a = {0};

        assert_int_equal(parse(&a, GOOD, "--wake-on-lan=eno1,enp3s0,eno1", NULL), 1);
        assert_string_equal(a.wake_on_lan, "eno1,enp3s0");
        sleep_args_done(&a);
        assert_null(a.wake_on_lan);
        /* the last one counts, as for every option */
        assert_int_equal(parse(&a, GOOD, "--wake-on-lan=eno1", "--wake-on-lan=eth0", NULL), 1);
        assert_string_equal(a.wake_on_lan, "eth0");
        sleep_args_done(&a);
}

static void test_limits_accepted(void **state) {
        SleepArgs a = {0};

        assert_int_equal(parse(&a, GOOD, "--seconds=1", "--requester-uid=4294967294",
                               "--requester-pid=2147483647", NULL), 1);
        assert_int_equal(a.seconds, 1);
        assert_int_equal(a.requester_uid, 4294967294U);
        assert_int_equal(a.requester_pid, 2147483647);
        assert_int_equal(parse(&a, GOOD, "--seconds=31622400", NULL), 1);
        assert_int_equal(a.seconds, SLEEP_SECONDS_MAX);
}

static void test_help_and_version_stop(void **state) {
        SleepArgs a = {0};
        int saved, null;

        /* they print to stdout, which carries the TAP stream */
        fflush(stdout);
        saved = dup(STDOUT_FILENO);
        null = open("/dev/null", O_WRONLY | O_CLOEXEC);
        assert_true(saved >= 0 && null >= 0);
        assert_int_equal(dup2(null, STDOUT_FILENO), STDOUT_FILENO);

        assert_int_equal(parse(&a, "--help", NULL), 0);
        assert_int_equal(parse(&a, "--version", NULL), 0);

        fflush(stdout);
        assert_int_equal(dup2(saved, STDOUT_FILENO), STDOUT_FILENO);
        close(saved);
        close(null);
        assert_null(a.id);
}

static void test_bad_command_lines(void **state) {
        static const char *const bad[][MAX_ARGS] = {
                /* missing pieces */
                { NULL },
                { "--seconds=300", "--id=x", "--requester-uid=1", "--requester-pid=1" },
                { "--target=mem", "--id=x", "--requester-uid=1", "--requester-pid=1" },
                { "--target=mem", "--seconds=300", "--requester-uid=1", "--requester-pid=1" },
                { "--target=mem", "--seconds=300", "--id=x", "--requester-pid=1" },
                { "--target=mem", "--seconds=300", "--id=x", "--requester-uid=1" },
                { GOOD, "--target" },
                /* targets */
                { GOOD, "--target=" },
                { GOOD, "--target=MEM" },
                { GOOD, "--target=freeze" },
                { GOOD, "--target=mem " },
                /* durations: zero, negative, overflow, garbage suffixes, too long */
                { GOOD, "--seconds=0" },
                { GOOD, "--seconds=-5" },
                { GOOD, "--seconds=+5" },
                { GOOD, "--seconds= 5" },
                { GOOD, "--seconds=5s" },
                { GOOD, "--seconds=5.0" },
                { GOOD, "--seconds=0x10" },
                { GOOD, "--seconds=" },
                { GOOD, "--seconds=31622401" },
                { GOOD, "--seconds=18446744073709551616" },
                { GOOD, "--seconds=99999999999999999999999" },
                /* wake times */
                { GOOD, "--wake-at=1800000000" },  /* both */
                { "--target=mem", "--wake-at=0", "--id=x", "--requester-uid=1", "--requester-pid=1" },
                { "--target=mem", "--wake-at=-1", "--id=x", "--requester-uid=1", "--requester-pid=1" },
                { "--target=mem", "--wake-at=18446744073709551615", "--id=x", "--requester-uid=1",
                  "--requester-pid=1" },
                /* ids */
                { GOOD, "--id=" },
                { GOOD, "--id=a b" },
                { GOOD, "--id=a/b" },
                { GOOD, "--id=a\nb" },
                { GOOD, "--id=$(reboot)" },
                { GOOD, "--id=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" },
                /* requesters */
                { GOOD, "--requester-uid=-1" },
                { GOOD, "--requester-uid=4294967295" },
                { GOOD, "--requester-uid=root" },
                { GOOD, "--requester-pid=-1" },
                { GOOD, "--requester-pid=2147483648" },
                /* RTC devices */
                { GOOD, "--rtc-device=" },
                { GOOD, "--rtc-device=../rtc0" },
                { GOOD, "--rtc-device=rtc0/" },
                { GOOD, "--rtc-device=.." },
                /* interfaces */
                { GOOD, "--wake-on-lan=" },
                { GOOD, "--wake-on-lan=," },
                { GOOD, "--wake-on-lan=eno1,../x" },
                { GOOD, "--wake-on-lan=eth0:1" },
                { GOOD, "--wake-on-lan=a234567890123456" },
                { GOOD, "--wake-on-lan=eno1", "--wake-on-lan=bad/name" },
                /* unknown input */
                { GOOD, "--frobnicate" },
                { GOOD, "--ignore-inhibitors=yes" },
                { GOOD, "-x" },
                { GOOD, "positional" },
        };

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                char *argv[2 * MAX_ARGS + 2] = { (char *) "hostpm-sleep" };
                int argc = 1;
                SleepArgs a = {0};

                for (size_t j = 0; j < MAX_ARGS && bad[i][j]; j++)
                        argv[argc++] = (char *) bad[i][j];
                argv[argc] = NULL;
                if (sleep_args_parse(argc, argv, &a) != -EINVAL)
                        fail_msg("accepted bad command line %zu (last: %s)", i, argv[argc - 1]);
                assert_null(a.id);  /* ret untouched */
        }
}

static void test_whole_numbers(void **state) {
        uint64_t v = 7;

        assert_int_equal(parse_whole_number("0", 10, &v), 0);
        assert_int_equal(v, 0);
        assert_int_equal(parse_whole_number("10", 10, &v), 0);
        assert_int_equal(v, 10);
        assert_int_equal(parse_whole_number("18446744073709551615", UINT64_MAX, &v), 0);
        assert_true(v == UINT64_MAX);
        assert_int_equal(parse_whole_number("11", 10, &v), -ERANGE);
        assert_int_equal(parse_whole_number("18446744073709551616", UINT64_MAX, &v), -ERANGE);
        assert_int_equal(parse_whole_number("", 10, &v), -EINVAL);
        assert_int_equal(parse_whole_number(NULL, 10, &v), -EINVAL);
        assert_int_equal(parse_whole_number("1 ", 10, &v), -EINVAL);
        assert_true(v == UINT64_MAX);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_complete_command_line),
                cmocka_unit_test(test_every_option),
                cmocka_unit_test(test_wake_on_lan),
                cmocka_unit_test(test_limits_accepted),
                cmocka_unit_test(test_help_and_version_stop),
                cmocka_unit_test(test_bad_command_lines),
                cmocka_unit_test(test_whole_numbers),
        };

        /* the parser explains every refusal on stderr; keep the TAP output readable */
        log_set_max_level(LOG_EMERG);
        return cmocka_run_group_tests(tests, NULL, NULL);
}
