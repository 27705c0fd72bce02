/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* hostpm-sleep's command line. hostpmd builds it as an argv (never through a
 * shell); everything is still checked, because a bad value must stop the
 * helper before it touches the RTC. */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "sleep-target.h"

/* Beyond any RTC's reach; keeps the usec arithmetic far from overflow. The
 * RTC itself refuses what it cannot hold (EINVAL). */
#define SLEEP_SECONDS_MAX UINT64_C(31622400)  /* 366 days */
#define SLEEP_ID_MAX 128
#define SLEEP_RTC_DEVICE_DEFAULT "rtc0"

typedef struct SleepArgs {
        SleepTarget target;
        uint64_t seconds;        /* --seconds; 0 when --wake-at is given instead */
        uint64_t wake_at;        /* --wake-at, seconds since the epoch (CLOCK_REALTIME); 0 if not */
        const char *id;          /* points into argv */
        uid_t requester_uid;
        pid_t requester_pid;     /* 0: unknown */
        bool ignore_inhibitors;
        const char *rtc_device;  /* points into argv, or the default */
        char *wake_on_lan;       /* --wake-on-lan: "eno1,eno2" (allocated), or NULL */
} SleepArgs;

/* Returns 1 with *ret filled to go on, 0 after --help or --version, or
 * -EINVAL after logging what is wrong and what is accepted. Can be called
 * more than once (it resets getopt). */
int sleep_args_parse(int argc, char *argv[], SleepArgs *ret);
void sleep_args_done(SleepArgs *a);

/* The checks behind the options, for tests and for the messages. */
int parse_whole_number(const char *s, uint64_t max, uint64_t *ret);
bool sleep_id_valid(const char *id);
