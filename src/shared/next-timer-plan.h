/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* "Until the next timer": the wake time chosen from the host's systemd
 * timers, kept free of any bus traffic so it can be tested on its own.
 * The host wakes NextTimerLead= before the next elapse of the earliest
 * timer that counts (NextTimers=: those with WakeSystem=yes, or all), or
 * at the time the caller asked (a duration or a wake time) if that comes
 * first. */

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

#include "config.h"
#include "suspend-plan.h"

typedef struct NextTimer {
        char *unit;                     /* the earliest timer that counts; NULL: none */
        uint64_t elapse_realtime_usec;  /* its next elapse, CLOCK_REALTIME */
        unsigned n_waiting;             /* timers with a next elapse, counted or not */
        unsigned n_counted;             /* of those, the ones NextTimers= counts */
} NextTimer;

void next_timer_done(NextTimer *t);

/* One timer as systemd describes it: adds it to *t if it counts and is
 * earlier than what *t holds. Elapses are systemd's NextElapseUSecRealtime
 * and NextElapseUSecMonotonic (0 or UINT64_MAX: none; a monotonic one
 * already passed: none), the latter turned into wall-clock time as
 * systemctl list-timers does. -ENOMEM only. */
int next_timer_add(NextTimer *t, const Config *config, const char *unit, uint64_t next_realtime_usec,
                   uint64_t next_monotonic_usec, bool wake_system, uint64_t now_realtime_usec,
                   uint64_t now_monotonic_usec);

/* What the caller asked besides the timer: at most one of a duration
 * (time asleep) and a wake time; both 0: the timer alone. */
typedef struct NextTimerBound {
        uint64_t duration_usec;
        uint64_t wake_usec;
} NextTimerBound;

/* The plan: base holds the checked target, flags and delay (from
 * suspend_plan_for_*()). *ret_by_timer says whether the timer decided
 * (else the bound came first). NoNextTimer if no timer counts; a wake
 * time the checks refuse is refused with their error, its message saying
 * which timer asked for it. */
int next_timer_plan(const Config *config, const SuspendPlan *base, const NextTimerBound *bound,
                    const NextTimer *t, uint64_t now_realtime_usec, SuspendPlan *ret, bool *ret_by_timer,
                    sd_bus_error *error);

/* The bound alone checked before anything is asked (bad input first):
 * target, flags, delay, and the bound's own range. */
int next_timer_check_request(const Config *config, const char *target, const NextTimerBound *bound,
                             uint64_t delay_usec, uint64_t flags, uint64_t now_realtime_usec, SuspendPlan *ret,
                             sd_bus_error *error);
