/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A sleep in legs. An RTC alarm reaches only so far ahead (rtc_cmos
 * without a day alarm: under 24 h), so a longer sleep is slept as legs:
 * wake at the end of one, arm the alarm again, sleep again. hostpm's
 * suspend-then-hibernate is two parts: in RAM for its first
 * HibernateDelay=, then on disk for the rest, each part in legs. Every
 * leg keeps the rule of a single sleep (an alarm set and read back before
 * logind is asked, and no shorter than MinimumDuration=, or it may pass
 * before the host is asleep). The legs are planned afresh from the time
 * left at each wake, so a late wake shortens what follows instead of
 * moving the end. Kept free of any I/O: hostpmd checks a request with it
 * before anything is scheduled, hostpm-sleep asks it for each leg. */

#include <stdint.h>

#include "sleep-target.h"

/* A year of day-long legs, and then some; more is a mistyped range. */
#define SLEEP_LEGS_MAX 512

typedef struct SleepChain {
        SleepTarget target;        /* as asked */
        uint64_t seconds;          /* the whole sleep */
        uint64_t range;            /* the farthest alarm the RTC takes; 0: one leg, however long */
        uint64_t min_seconds;      /* MinimumDuration=: no leg shorter */
        uint64_t hibernate_after;  /* suspend-then-hibernate: seconds in RAM first; 0: logind's method */
} SleepChain;

/* The plan of a whole request: 0 and *ret_legs (if not NULL) the number
 * of legs; -ERANGE if a leg would be shorter than min_seconds, -E2BIG if
 * more than SLEEP_LEGS_MAX legs; then *ret_reason (if not NULL;
 * allocated) says which, why, and what would be accepted. -ENOMEM. */
int sleep_chain_check(const SleepChain *c, unsigned *ret_legs, char **ret_reason);

/* The leg to sleep once elapsed seconds of the whole have passed: 1 with
 * its target and length (never shorter than min_seconds, never beyond the
 * range); 0 when the sleep is over, and *ret_seconds says how much of it
 * is left unslept (less than min_seconds remained, or nothing). */
int sleep_chain_next_leg(const SleepChain *c, uint64_t elapsed, SleepTarget *ret_target, uint64_t *ret_seconds);

/* The target of the part in which a leg sleeps: mem, or disk for the
 * second part of a split suspend-then-hibernate; others as asked. */
SleepTarget sleep_chain_part_target(const SleepChain *c, unsigned part);
