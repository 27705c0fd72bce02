/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <inttypes.h>

#include "log.h"
#include "macro.h"
#include "sleep-args.h"

static void help(void) {
        printf("Usage: %s --target=TARGET --seconds=N|--wake-at=EPOCH [--min-seconds=N] --id=ID\n"
               "       [--alarm-range=N] [--hibernate-after=N]\n"
               "       --requester-uid=UID --requester-pid=PID [--ignore-inhibitors] [--rtc-device=rtc0]\n"
               "       [--wake-on-lan=IF[,IF...]]\n"
               "\n"
               "Set the RTC wake alarm N seconds ahead, verify it, ask logind to sleep, wait\n"
               "for the resume and record the outcome. Run by hostpmd's transient service.\n"
               "\n"
               "  --target=TARGET       %s\n"
               "  --seconds=N           time asleep, 1 to %" PRIu64 "\n"
               "  --wake-at=EPOCH       or: wake at this time, seconds since the epoch\n"
               "  --min-seconds=N       refuse an alarm less than N s ahead when it is set\n"
               "                        (hostpmd's MinimumDuration=; default 1)\n"
               "  --alarm-range=N       the farthest alarm the RTC takes: a longer sleep is slept\n"
               "                        in legs, re-armed at each wake by the alarm (default: one leg)\n"
               "  --hibernate-after=N   suspend-then-hibernate: in RAM for N s, then woken by the\n"
               "                        alarm and hibernated for the rest (default: logind's method)\n"
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

int sleep_args_parse(int argc, char *argv[], SleepArgs *ret) {
        _cleanup_free_ char *reason = NULL;
        int r;

        r = helper_args_from_argv(argv, ret, &reason);
        if (r == -ENOMEM)
                return log_oom();
        if (r < 0) {
                log_error("%s", reason);
                return -EINVAL;
        }
        if (r == HELPER_ARGS_HELP)
                help();
        else if (r == HELPER_ARGS_VERSION)
                printf("hostpm %s\n", PACKAGE_VERSION);
        return r == HELPER_ARGS_OK;
}
