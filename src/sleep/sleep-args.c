/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <getopt.h>
#include <inttypes.h>

#include "config.h"
#include "log.h"
#include "macro.h"
#include "net-interfaces.h"
#include "rtc.h"
#include "sleep-args.h"

/* Digits only, no sign, no spaces, no suffix, no overflow, at most max. */
int parse_whole_number(const char *s, uint64_t max, uint64_t *ret) {
        unsigned long long v;
        char *end;

        if (isempty(s) || strspn(s, "0123456789") != strlen(s))
                return -EINVAL;
        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno != 0 || *end != '\0')
                return -ERANGE;
        if (v > max)
                return -ERANGE;
        *ret = (uint64_t) v;
        return 0;
}

static bool chars_valid(const char *s, const char *extra, size_t max) {
        size_t n = strlen(s);

        if (n == 0 || n > max)
                return false;
        for (const char *p = s; *p; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                      strchr(extra, *p)))
                        return false;
        return true;
}

/* Ids end up in file contents, journal fields and messages: keep them
 * plain. Covers UUIDs and unit-name-like ids. */
bool sleep_id_valid(const char *id) {
        return id && chars_valid(id, "-_.:@", SLEEP_ID_MAX);
}

static void help(void) {
        printf("Usage: %s --target=TARGET --seconds=N|--wake-at=EPOCH --id=ID\n"
               "       --requester-uid=UID --requester-pid=PID [--ignore-inhibitors] [--rtc-device=rtc0]\n"
               "       [--wake-on-lan=IF[,IF...]]\n"
               "\n"
               "Set the RTC wake alarm N seconds ahead, verify it, ask logind to sleep, wait\n"
               "for the resume and record the outcome. Run by hostpmd's transient service.\n"
               "\n"
               "  --target=TARGET       %s\n"
               "  --seconds=N           time asleep, 1 to %" PRIu64 "\n"
               "  --wake-at=EPOCH       or: wake at this time, seconds since the epoch\n"
               "  --id=ID               the request's id (letters, digits, - _ . : @)\n"
               "  --requester-uid=UID   who asked, for the record\n"
               "  --requester-pid=PID   who asked, for the record (0: unknown)\n"
               "  --ignore-inhibitors   sleep even if an inhibitor blocks it\n"
               "  --rtc-device=NAME     the wake RTC under /sys/class/rtc (default rtc0)\n"
               "  --wake-on-lan=IF,...  arm magic-packet wake on these interfaces first\n"
               "                        (a failure is logged; the alarm still wakes the host)\n"
               "\n"
               "Exit status: 0 resumed, 1 failed, 2 invalid command line,\n"
               "             3 refused (an inhibitor blocks sleep), 4 cancelled by a signal\n",
               program_invocation_short_name, sleep_target_list(), SLEEP_SECONDS_MAX);
}

void sleep_args_done(SleepArgs *a) {
        free(a->wake_on_lan);
        a->wake_on_lan = NULL;
}

int sleep_args_parse(int argc, char *argv[], SleepArgs *ret) {
        enum {
                ARG_VERSION = 0x100,
                ARG_TARGET,
                ARG_SECONDS,
                ARG_WAKE_AT,
                ARG_ID,
                ARG_REQUESTER_UID,
                ARG_REQUESTER_PID,
                ARG_IGNORE_INHIBITORS,
                ARG_RTC_DEVICE,
                ARG_WAKE_ON_LAN,
        };
        static const struct option options[] = {
                { "help",               no_argument,       NULL, 'h'                   },
                { "version",            no_argument,       NULL, ARG_VERSION           },
                { "target",             required_argument, NULL, ARG_TARGET            },
                { "seconds",            required_argument, NULL, ARG_SECONDS           },
                { "wake-at",            required_argument, NULL, ARG_WAKE_AT           },
                { "id",                 required_argument, NULL, ARG_ID                },
                { "requester-uid",      required_argument, NULL, ARG_REQUESTER_UID     },
                { "requester-pid",      required_argument, NULL, ARG_REQUESTER_PID     },
                { "ignore-inhibitors",  no_argument,       NULL, ARG_IGNORE_INHIBITORS },
                { "rtc-device",         required_argument, NULL, ARG_RTC_DEVICE        },
                { "wake-on-lan",        required_argument, NULL, ARG_WAKE_ON_LAN       },
                { NULL, 0, NULL, 0 }
        };
        _cleanup_(sleep_args_done) SleepArgs a = {
                .target = _SLEEP_TARGET_INVALID,
                .rtc_device = SLEEP_RTC_DEVICE_DEFAULT,
        };
        bool have_uid = false, have_pid = false;
        uint64_t v;
        int c;

        opterr = 0;
        optind = 0;  /* 0, not 1: glibc then starts afresh, for repeated calls */
        while ((c = getopt_long(argc, argv, "+h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        printf("hostpm %s\n", PACKAGE_VERSION);
                        return 0;
                case ARG_TARGET:
                        a.target = sleep_target_from_string(optarg);
                        if (a.target < 0) {
                                log_error("unknown --target '%s'; expected one of %s", optarg, sleep_target_list());
                                return -EINVAL;
                        }
                        break;
                case ARG_SECONDS:
                        if (parse_whole_number(optarg, SLEEP_SECONDS_MAX, &v) < 0 || v == 0) {
                                log_error("invalid --seconds '%s'; expected whole seconds from 1 to %" PRIu64,
                                          optarg, SLEEP_SECONDS_MAX);
                                return -EINVAL;
                        }
                        a.seconds = v;
                        break;
                case ARG_WAKE_AT:
                        if (parse_whole_number(optarg, UINT64_MAX / USEC_PER_SEC, &v) < 0 || v == 0) {
                                log_error("invalid --wake-at '%s'; expected seconds since the epoch", optarg);
                                return -EINVAL;
                        }
                        a.wake_at = v;
                        break;
                case ARG_ID:
                        if (!sleep_id_valid(optarg)) {
                                log_error("invalid --id '%s'; expected 1 to %i letters, digits or - _ . : @",
                                          optarg, SLEEP_ID_MAX);
                                return -EINVAL;
                        }
                        a.id = optarg;
                        break;
                case ARG_REQUESTER_UID:
                        /* (uid_t) -1 means "no uid" to the kernel: never a requester */
                        if (parse_whole_number(optarg, UINT32_MAX - 1, &v) < 0) {
                                log_error("invalid --requester-uid '%s'; expected a uid from 0 to %" PRIu32,
                                          optarg, UINT32_MAX - 1);
                                return -EINVAL;
                        }
                        a.requester_uid = (uid_t) v;
                        have_uid = true;
                        break;
                case ARG_REQUESTER_PID:
                        if (parse_whole_number(optarg, INT32_MAX, &v) < 0) {
                                log_error("invalid --requester-pid '%s'; expected a pid from 0 (unknown) to %" PRIi32,
                                          optarg, INT32_MAX);
                                return -EINVAL;
                        }
                        a.requester_pid = (pid_t) v;
                        have_pid = true;
                        break;
                case ARG_IGNORE_INHIBITORS:
                        a.ignore_inhibitors = true;
                        break;
                case ARG_RTC_DEVICE:
                        if (!rtc_device_name_valid(optarg)) {
                                log_error("invalid --rtc-device '%s'; expected a name such as rtc0", optarg);
                                return -EINVAL;
                        }
                        a.rtc_device = optarg;
                        break;
                case ARG_WAKE_ON_LAN: {
                        const char *bad = NULL;
                        size_t bad_len = 0;
                        char *list = NULL;
                        int r = net_interface_list_normalize(optarg, &list, &bad, &bad_len);

                        if (r == -ENOMEM)
                                return log_oom();
                        if (r < 0 || !list) {
                                log_error("invalid --wake-on-lan '%s': '%.*s' is not an interface name; expected "
                                          "names such as eno1, separated by commas", optarg, (int) bad_len,
                                          bad ? bad : "");
                                return -EINVAL;
                        }
                        free(a.wake_on_lan);
                        a.wake_on_lan = list;
                        break;
                }
                case '?':
                        if (optopt > 0 && optopt < 0x100)
                                log_error("unknown option '-%c'; see --help", optopt);
                        else if (optopt != 0)
                                log_error("option '%s' needs a value; see --help", argv[optind - 1]);
                        else
                                log_error("unknown option '%s'; see --help", argv[optind - 1]);
                        return -EINVAL;
                default:
                        return -EINVAL;
                }

        if (optind < argc) {
                log_error("unexpected argument '%s'; all input is given as --option=value", argv[optind]);
                return -EINVAL;
        }
        if (a.seconds > 0 && a.wake_at > 0) {
                log_error("both --seconds and --wake-at given; expected one of them");
                return -EINVAL;
        }
        if (a.target < 0 || (a.seconds == 0 && a.wake_at == 0) || !a.id || !have_uid || !have_pid) {
                log_error("missing %s; see --help",
                          a.target < 0 ? "--target" : a.seconds == 0 && a.wake_at == 0 ? "--seconds or --wake-at" :
                          !a.id ? "--id" : !have_uid ? "--requester-uid" : "--requester-pid");
                return -EINVAL;
        }

        *ret = a;
        a.wake_on_lan = NULL;  /* moved */
        return 1;
}
