/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* hostpm-sleep's command line, in one table: hostpmd writes it as the
 * transient service's argv (never through a shell), hostpm-sleep reads
 * it, and hostpmd reads it back from the service's ExecStart= to know what
 * is pending. A value the helper would refuse is never written, and every
 * value is checked again when read: a bad one must stop the helper before
 * it touches the RTC. */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"
#include "sleep-target.h"

/* Beyond any RTC's reach (366 days); keeps the usec arithmetic far from
 * overflow. The RTC itself refuses what it cannot hold (EINVAL). hostpmd's
 * MaximumDuration= is bounded by the same figure. */
#define SLEEP_SECONDS_MAX (CONFIG_MAXIMUM_DURATION_MAX_USEC / USEC_PER_SEC)
#define SLEEP_ID_MAX 128
#define SLEEP_RTC_DEVICE_DEFAULT "rtc0"

typedef struct HelperArgs {
        SleepTarget target;
        uint64_t seconds;        /* --seconds; 0 when --wake-at is given instead */
        uint64_t wake_at;        /* --wake-at, seconds since the epoch (CLOCK_REALTIME); 0 if not */
        uint64_t min_seconds;    /* --min-seconds: no alarm nearer than this. Read: 1 when absent (a
                                  * timer scheduled by an older hostpmd still runs); written: 0 leaves
                                  * it out */
        uint64_t alarm_range;    /* --alarm-range: the farthest alarm the RTC takes, in seconds; a longer
                                  * sleep is slept in legs (sleep-legs.h). 0 (absent): one leg */
        uint64_t hibernate_after; /* --hibernate-after: suspend-then-hibernate's time in RAM before it
                                   * hibernates for the rest; 0 (absent): logind's own method */
        const char *id;          /* read: points into the argv */
        uid_t requester_uid;
        pid_t requester_pid;     /* 0: unknown */
        bool ignore_inhibitors;
        const char *rtc_device;  /* read: points into the argv, or the default; written: NULL leaves it out */
        char *wake_on_lan;       /* --wake-on-lan: "eno1,eno2" (read: allocated, normalized), or NULL */
} HelperArgs;

enum {
        HELPER_ARGS_OK,
        HELPER_ARGS_HELP,        /* --help or -h: nothing else was read */
        HELPER_ARGS_VERSION,     /* --version */
};

/* Reads argv (argv[0], the program, is skipped). Returns HELPER_ARGS_OK
 * with *ret filled, HELPER_ARGS_HELP or _VERSION with *ret untouched,
 * -ENOMEM, or -EBADMSG with *ret untouched and *ret_reason (if not NULL;
 * allocated) naming the option, its value (escaped) and what is accepted.
 * Options are --name=value or --name value; the last of a repeated
 * option counts. */
int helper_args_from_argv(char * const *argv, HelperArgs *ret, char **ret_reason);

/* Writes the argv that reads back as *a, with path as argv[0]: 0, -ENOMEM,
 * or -EINVAL (and *ret_reason as above) if the helper would refuse it. */
int helper_args_to_argv(const char *path, const HelperArgs *a, char ***ret, char **ret_reason);

void helper_args_done(HelperArgs *a);

/* The checks behind the options, for tests and for the messages. */
int parse_whole_number(const char *s, uint64_t max, uint64_t *ret);
bool sleep_id_valid(const char *id);
