/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* hostpm-sleep's judgements, as plain functions with no bus in sight so the
 * unit tests can hold them to their word: does an inhibitor block us, how
 * long to wait for the resume, did the alarm wake us, and did logind really
 * say no. */

#include <stdbool.h>
#include <stdint.h>

#include "sleep-target.h"

/* One entry of logind's ListInhibitors, a(ssssuu). */
typedef struct Inhibitor {
        const char *what;  /* colon-separated: "sleep:idle" */
        const char *who;
        const char *why;
        const char *mode;  /* "block" or "delay" */
        uint32_t uid;
        uint32_t pid;
} Inhibitor;

/* A "block" inhibitor whose what lists "sleep". Delay inhibitors only make
 * logind wait a moment, so they never stop us. */
bool inhibitor_blocks_sleep(const Inhibitor *i);

/* "sleep is blocked by <who> (uid U, pid P): <why>", for the outcome. */
int inhibitor_refusal_message(const Inhibitor *i, char **ret);

/* --wake-at (CLOCK_REALTIME seconds) as whole seconds ahead of now_usec
 * (CLOCK_REALTIME microseconds), rounded to the nearest: the alarm is armed
 * just after the RTC's second turns over, so it fires a whole number of
 * seconds after now, and the nearest one is the wake time asked. -ETIME if
 * that is less than half a second away, -ERANGE if it is further ahead
 * than SLEEP_SECONDS_MAX. */
int seconds_until(uint64_t wake_at, uint64_t now_usec, uint64_t *ret);

/* How long, in time the host is awake, to wait after logind accepted for
 * the resume: the asked time plus max(60 s, 10 %). */
uint64_t resume_wait_usec(uint64_t seconds);

/* The RTC's clock at resume says the alarm was what woke the host: not more
 * than 2 s before the alarm, and not later than the target's resume takes
 * (30 s from RAM; 300 s when a hibernation image may have to be read back). */
bool alarm_reached_at_resume(SleepTarget target, uint64_t rtc_now, uint64_t alarm);

/* An error reply to Suspend* that means logind did not act. NoReply (our
 * own timeout, or the connection dropped) is not one: logind may have
 * accepted, so the alarm must stay. */
bool logind_error_is_refusal(const char *error_name);

/* The interval between the two PrepareForSleep signals that the host spent
 * suspended: CLOCK_BOOTTIME counts it, CLOCK_MONOTONIC does not. */
uint64_t time_suspended_usec(uint64_t boot_before, uint64_t mono_before, uint64_t boot_after, uint64_t mono_after);
