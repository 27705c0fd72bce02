/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* hostpm-sleep's command line as hostpmd writes it and as the helper (and
 * hostpmd again, from ExecStart=) reads it: what is written reads back
 * the same, option by option and over many seeded random requests; what
 * the helper refuses is never written; a bad or foreign argv is refused
 * with a reason naming the option and what is accepted.
 *
 * HOSTPM_TEST_SEED=<n> replays another sequence; a failure prints the
 * seed and the case. */

#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "helper-args.h"
#include "macro.h"
#include "strv.h"

#define ITERATIONS 20000
#define DEFAULT_SEED UINT64_C(0x4e1be5)
#define PATH "/usr/libexec/hostpm-sleep"

static void assert_args_equal(const HelperArgs *a, const HelperArgs *b) {
        assert_int_equal(a->target, b->target);
        assert_true(a->seconds == b->seconds);
        assert_true(a->wake_at == b->wake_at);
        assert_true(a->min_seconds == b->min_seconds);
        assert_true(a->alarm_range == b->alarm_range);
        assert_true(a->hibernate_after == b->hibernate_after);
        assert_string_equal(a->id, b->id);
        assert_int_equal(a->requester_uid, b->requester_uid);
        assert_int_equal(a->requester_pid, b->requester_pid);
        assert_int_equal(a->ignore_inhibitors, b->ignore_inhibitors);
        assert_string_equal(a->rtc_device, b->rtc_device);
        if (a->wake_on_lan || b->wake_on_lan)
                assert_string_equal(a->wake_on_lan, b->wake_on_lan);
}

/* encode, decode, compare; the argv is returned for a look */
static char **round_trip(const HelperArgs *in) {
        _cleanup_(helper_args_done) HelperArgs out = {0};
        _cleanup_free_ char *reason = NULL;
        char **argv = NULL;
        int r;

        r = helper_args_to_argv(PATH, in, &argv, &reason);
        if (r != 0)
                fail_msg("refused to write: %d %s", r, reason ? reason : "");
        assert_string_equal(argv[0], PATH);
        r = helper_args_from_argv(argv, &out, &reason);
        if (r != HELPER_ARGS_OK)
                fail_msg("refused to read what was written: %d %s", r, reason ? reason : "");
        assert_args_equal(in, &out);
        return argv;
}

static void test_every_option_round_trip(void **state) {
        HelperArgs in = {
                .target = SLEEP_TARGET_SUSPEND_THEN_HIBERNATE,
                .wake_at = 1800000000,
                .min_seconds = 60,
                .alarm_range = 86399,
                .hibernate_after = 7200,
                .id = "9f86d081884c7d659a2feaa0c55ad015",
                .requester_uid = 4294967294U,
                .requester_pid = 2147483647,
                .ignore_inhibitors = true,
                .rtc_device = "rtc1",
                .wake_on_lan = (char *) "eno1,enp3s0",
        };
        _cleanup_(strv_freep) char **argv = round_trip(&in);

        /* every option once, in the order hostpmd writes (and tests read) them */
        assert_int_equal(strv_length(argv), 12);
        assert_string_equal(argv[1], "--id=9f86d081884c7d659a2feaa0c55ad015");
        assert_string_equal(argv[2], "--target=suspend-then-hibernate");
        assert_string_equal(argv[3], "--wake-at=1800000000");
        assert_string_equal(argv[4], "--min-seconds=60");
        assert_string_equal(argv[5], "--alarm-range=86399");
        assert_string_equal(argv[6], "--hibernate-after=7200");
        assert_string_equal(argv[7], "--rtc-device=rtc1");
        assert_string_equal(argv[8], "--requester-uid=4294967294");
        assert_string_equal(argv[9], "--requester-pid=2147483647");
        assert_string_equal(argv[10], "--ignore-inhibitors");
        assert_string_equal(argv[11], "--wake-on-lan=eno1,enp3s0");
}

static void test_optional_options_left_out(void **state) {
        HelperArgs in = {
                .target = SLEEP_TARGET_MEM,
                .seconds = 300,
                .min_seconds = 1,  /* what reading an argv without it gives */
                .id = "x",
                .rtc_device = SLEEP_RTC_DEVICE_DEFAULT,
        };
        _cleanup_(strv_freep) char **argv = round_trip(&in);

        assert_int_equal(strv_length(argv), 8);
        in.min_seconds = 0;
        in.rtc_device = NULL;
        strv_free(argv);
        assert_int_equal(helper_args_to_argv(PATH, &in, &argv, NULL), 0);
        /* --id --target --seconds --requester-uid --requester-pid */
        assert_int_equal(strv_length(argv), 6);
}

static void test_limits(void **state) {
        char id[SLEEP_ID_MAX + 2];
        HelperArgs in = {
                .target = SLEEP_TARGET_SUSPEND_THEN_HIBERNATE,
                .seconds = SLEEP_SECONDS_MAX,
                .min_seconds = SLEEP_SECONDS_MAX,
                .id = id,
                .rtc_device = "rtc0",
        };
        _cleanup_free_ char *reason = NULL;
        char **argv = NULL;

        memset(id, 'a', SLEEP_ID_MAX);
        id[SLEEP_ID_MAX] = '\0';
        strv_free(round_trip(&in));

        /* one over each bound: never written, and the reason says why */
        id[SLEEP_ID_MAX] = 'a';
        id[SLEEP_ID_MAX + 1] = '\0';
        assert_int_equal(helper_args_to_argv(PATH, &in, &argv, &reason), -EINVAL);
        assert_null(argv);
        assert_non_null(strstr(reason, "invalid --id"));
        assert_non_null(strstr(reason, "expected 1 to 128 letters"));
        id[SLEEP_ID_MAX] = '\0';

        in.seconds = SLEEP_SECONDS_MAX + 1;
        assert_int_equal(helper_args_to_argv(PATH, &in, &argv, &reason), -EINVAL);
        assert_non_null(strstr(reason, "invalid --seconds '31622401'; expected whole seconds from 1 to 31622400"));

        in.seconds = 0;
        in.wake_at = UINT64_MAX / USEC_PER_SEC;
        strv_free(round_trip(&in));
        in.wake_at++;
        assert_int_equal(helper_args_to_argv(PATH, &in, &argv, &reason), -EINVAL);
        assert_non_null(strstr(reason, "invalid --wake-at"));

        /* neither or both */
        in.wake_at = 0;
        assert_int_equal(helper_args_to_argv(PATH, &in, &argv, &reason), -EINVAL);
        assert_string_equal(reason, "missing --seconds or --wake-at; see --help");
        in.seconds = in.wake_at = 5;
        assert_int_equal(helper_args_to_argv(PATH, &in, &argv, &reason), -EINVAL);
        assert_string_equal(reason, "both --seconds and --wake-at given; expected one of them");

        in.wake_at = 0;
        in.target = _SLEEP_TARGET_INVALID;
        assert_int_equal(helper_args_to_argv(PATH, &in, &argv, &reason), -EINVAL);
        assert_string_equal(reason, "missing --target; see --help");
        in.target = SLEEP_TARGET_MEM;

        in.requester_uid = (uid_t) -1;
        assert_int_equal(helper_args_to_argv(PATH, &in, &argv, &reason), -EINVAL);
        assert_non_null(strstr(reason, "invalid --requester-uid '4294967295'; expected a uid from 0 to 4294967294"));
        in.requester_uid = 0;
        in.requester_pid = -1;
        assert_int_equal(helper_args_to_argv(PATH, &in, &argv, &reason), -EINVAL);
        assert_non_null(strstr(reason, "invalid --requester-pid '-1'"));
        in.requester_pid = 0;
        in.rtc_device = "../rtc0";
        assert_int_equal(helper_args_to_argv(PATH, &in, &argv, &reason), -EINVAL);
        assert_non_null(strstr(reason, "invalid --rtc-device '../rtc0'; expected a name"));
        in.rtc_device = NULL;
        in.wake_on_lan = (char *) "eno1,a/b";
        assert_int_equal(helper_args_to_argv(PATH, &in, &argv, &reason), -EINVAL);
        assert_non_null(strstr(reason, "'a/b' is not an interface name"));
        assert_null(argv);
}

/* Each refused with -EBADMSG and a reason that holds the given words. */
static void test_bad_and_foreign(void **state) {
        static const struct {
                const char *argv[8];
                const char *reason;
        } bad[] = {
                { { "--target=mem", "--seconds=5", "--id=x", "--requester-uid=0" },
                  "missing --requester-pid; see --help" },
                { { "--target=MEM" }, "unknown --target 'MEM'; expected one of mem, " },
                { { "--seconds=5s" }, "invalid --seconds '5s'; expected whole seconds from 1 to 31622400" },
                { { "--min-seconds=0" }, "invalid --min-seconds '0'; expected whole seconds from 1 to" },
                { { "--alarm-range=0" }, "invalid --alarm-range '0'; expected whole seconds from 1 to" },
                { { "--hibernate-after=-1" }, "invalid --hibernate-after '-1'; expected whole seconds from 1 to" },
                { { "--target=mem", "--seconds=5", "--id=x", "--requester-uid=0", "--requester-pid=0",
                    "--hibernate-after=60" },
                  "--hibernate-after given with --target=mem; expected it only with --target=suspend-then-hibernate" },
                { { "--id" }, "option '--id' needs a value; see --help" },
                { { "--id=a b" }, "invalid --id 'a b'; expected 1 to 128 letters, digits or - _ . : @" },
                /* what may reach a terminal is escaped */
                { { "--id=\033]0;owned\007" }, "invalid --id '\\x1b]0;owned\\x07'" },
                { { "--ignore-inhibitors=yes" }, "option '--ignore-inhibitors' takes no value; see --help" },
                { { "--frobnicate=1" }, "unknown option '--frobnicate=1'; see --help" },
                { { "--tar=mem" }, "unknown option '--tar=mem'" },  /* no abbreviations */
                { { "-x" }, "unknown option '-x'; see --help" },
                { { "positional" }, "unexpected argument 'positional'; all input is given as --option=value" },
                { { "--", "--target=mem" }, "unexpected argument '--target=mem'" },
                { { "-" }, "unexpected argument '-'" },
                /* someone else's unit of the same name */
                { { "-c", "sleep 1000" }, "unknown option '-c'" },
        };

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                _cleanup_free_ char *reason = NULL;
                char *argv[10] = { (char *) "/bin/sh" };
                HelperArgs a = { .id = "untouched" };
                size_t n = 1;

                for (size_t j = 0; bad[i].argv[j]; j++)
                        argv[n++] = (char *) bad[i].argv[j];
                assert_int_equal(helper_args_from_argv(argv, &a, &reason), -EBADMSG);
                assert_string_equal(a.id, "untouched");
                if (!reason || !strstr(reason, bad[i].reason))
                        fail_msg("case %zu: reason '%s', expected '%s'", i, reason ? reason : "(none)",
                                 bad[i].reason);
        }

        /* no reason wanted: still refused */
        {
                char *argv[] = { (char *) "x", (char *) "--seconds=0", NULL };
                HelperArgs a = {0};

                assert_int_equal(helper_args_from_argv(argv, &a, NULL), -EBADMSG);
        }
}

static void test_help_version_and_forms(void **state) {
        _cleanup_(helper_args_done) HelperArgs a = {0};
        char *help[] = { (char *) "x", (char *) "-h", (char *) "--bad", NULL };
        char *version[] = { (char *) "x", (char *) "--version", NULL };
        char *spaced[] = { (char *) "x", (char *) "--target", (char *) "disk", (char *) "--seconds", (char *) "7",
                           (char *) "--id=a", (char *) "--id=b", (char *) "--requester-uid=1",
                           (char *) "--requester-pid=2", (char *) "--", NULL };

        assert_int_equal(helper_args_from_argv(help, &a, NULL), HELPER_ARGS_HELP);
        assert_int_equal(helper_args_from_argv(version, &a, NULL), HELPER_ARGS_VERSION);
        assert_null(a.id);
        /* "--name value" too, the last of a repeated option counts, "--" ends */
        assert_int_equal(helper_args_from_argv(spaced, &a, NULL), HELPER_ARGS_OK);
        assert_int_equal(a.target, SLEEP_TARGET_DISK);
        assert_int_equal(a.seconds, 7);
        assert_string_equal(a.id, "b");
        assert_string_equal(a.rtc_device, SLEEP_RTC_DEVICE_DEFAULT);
        assert_int_equal(a.min_seconds, 1);
}

static uint64_t rng_state;

/* splitmix64 */
static uint64_t rnd(void) {
        uint64_t z = (rng_state += UINT64_C(0x9e3779b97f4a7c15));

        z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
        z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
        return z ^ (z >> 31);
}

/* 1..max, biased towards the bounds */
static uint64_t rnd_value(uint64_t max) {
        switch (rnd() % 4) {
        case 0:  return 1;
        case 1:  return max;
        default: return 1 + rnd() % max;
        }
}

static void test_random_requests(void **state) {
        static const char id_chars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:@";
        static const char *const interfaces[] = { NULL, "eno1", "eno1,enp3s0", "wlan0,eth0,veth-a" };
        const char *e = getenv("HOSTPM_TEST_SEED");
        uint64_t seed = e ? strtoull(e, NULL, 0) : DEFAULT_SEED;

        rng_state = seed;
        for (unsigned i = 0; i < ITERATIONS; i++) {
                char id[SLEEP_ID_MAX + 1], rtc[8];
                size_t n = 1 + rnd() % SLEEP_ID_MAX;
                HelperArgs in = {
                        .target = (SleepTarget) (rnd() % _SLEEP_TARGET_MAX),
                        .min_seconds = rnd_value(SLEEP_SECONDS_MAX),
                        .id = id,
                        .requester_uid = (uid_t) (rnd() % 2 ? rnd_value(UINT32_MAX - 1) : 0),
                        .requester_pid = (pid_t) (rnd() % 2 ? rnd_value(INT32_MAX) : 0),
                        .ignore_inhibitors = rnd() % 2,
                        .rtc_device = rtc,
                        .wake_on_lan = (char *) interfaces[rnd() % ELEMENTSOF(interfaces)],
                };
                if (rnd() % 2)
                        in.alarm_range = rnd_value(SLEEP_SECONDS_MAX);
                if (in.target == SLEEP_TARGET_SUSPEND_THEN_HIBERNATE && rnd() % 2)
                        in.hibernate_after = rnd_value(SLEEP_SECONDS_MAX);
                if (rnd() % 2)
                        in.seconds = rnd_value(SLEEP_SECONDS_MAX);
                else
                        in.wake_at = rnd_value(UINT64_MAX / USEC_PER_SEC);
                for (size_t j = 0; j < n; j++)
                        id[j] = id_chars[rnd() % (sizeof id_chars - 1)];
                id[n] = '\0';
                snprintf(rtc, sizeof rtc, "rtc%u", (unsigned) (rnd() % 100));

                {
                        _cleanup_(strv_freep) char **argv = NULL;
                        _cleanup_(helper_args_done) HelperArgs out = {0};
                        _cleanup_free_ char *reason = NULL;

                        if (helper_args_to_argv(PATH, &in, &argv, &reason) != 0 ||
                            helper_args_from_argv(argv, &out, &reason) != HELPER_ARGS_OK)
                                fail_msg("seed 0x%" PRIx64 ", iteration %u (id %s): %s", seed, i, id,
                                         reason ? reason : "?");
                        assert_args_equal(&in, &out);
                }
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_every_option_round_trip),
                cmocka_unit_test(test_optional_options_left_out),
                cmocka_unit_test(test_limits),
                cmocka_unit_test(test_bad_and_foreign),
                cmocka_unit_test(test_help_version_and_forms),
                cmocka_unit_test(test_random_requests),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
