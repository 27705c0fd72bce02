/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The decision whether a suspend request may be scheduled, kept free of any
 * bus traffic so it can be tested on its own: target, duration or wake time,
 * delay and flags are checked against the configuration, and the plan says
 * what the timer and the helper will be told. */

#include <stdint.h>
#include <systemd/sd-bus.h>

#include "config.h"
#include "sleep-target.h"
#include "timespan.h"

/* Flags of ScheduleSuspend()/ScheduleSuspendUntil(). */
#define HOSTPM_FLAG_IGNORE_INHIBITORS (UINT64_C(1) << 0)
#define HOSTPM_FLAG_DRY_RUN           (UINT64_C(1) << 1)
#define HOSTPM_FLAGS_ALL              (HOSTPM_FLAG_IGNORE_INHIBITORS | HOSTPM_FLAG_DRY_RUN)

/* The delay before the suspend: at least long enough for the reply to
 * leave, at most a day. */
#define SUSPEND_DELAY_MIN_USEC (1 * USEC_PER_SEC)
#define SUSPEND_DELAY_MAX_USEC (24 * 3600 * USEC_PER_SEC)

/* The longest target name a caller may send; longer strings are refused
 * before they reach any message or log ("suspend-then-hibernate" is 22). */
#define SUSPEND_TARGET_MAX 32

typedef struct SuspendPlan {
        SleepTarget target;
        uint64_t flags;
        uint64_t delay_usec;          /* until the timer fires */
        uint64_t duration_sec;        /* time asleep asked of the helper (whole seconds: the RTC's unit) */
        uint64_t wake_realtime_usec;  /* ScheduleSuspendUntil(): the wall-clock wake time; else 0 */
        uint64_t suspend_realtime_usec; /* when the timer is expected to fire */
        unsigned legs;                /* sleep-legs.h: how many, as planned */
        uint64_t alarm_range_sec;     /* the helper's --alarm-range=: config's alarm_range_sec, or 0 */
        uint64_t hibernate_after_sec; /* the helper's --hibernate-after= (suspend-then-hibernate), or 0 */
} SuspendPlan;

/* Both return 0 and fill *ret, or a negative errno with a named error in
 * *error whose message says what was wrong and what is accepted. A
 * delay_usec of 0 means the configured Delay=. */
int suspend_plan_for_duration(
                const Config *config,
                const char *target,
                uint64_t duration_usec,
                uint64_t delay_usec,
                uint64_t flags,
                uint64_t now_realtime_usec,
                SuspendPlan *ret,
                sd_bus_error *error);

int suspend_plan_for_wake_time(
                const Config *config,
                const char *target,
                uint64_t wake_realtime_usec,
                uint64_t delay_usec,
                uint64_t flags,
                uint64_t now_realtime_usec,
                SuspendPlan *ret,
                sd_bus_error *error);

/* After authorization, which may have taken minutes: the plan's times
 * taken anew at now_realtime_usec (the timer starts counting when it is
 * made), and what time may have made untrue checked again. A wake time
 * that no longer leaves MinimumDuration= between suspend and wake is
 * refused as the first check would have (WakeTimeInPast,
 * DurationOutOfRange); *plan changes only on success. */
int suspend_plan_retime(const Config *config, SuspendPlan *plan, uint64_t now_realtime_usec, sd_bus_error *error);

static inline uint64_t suspend_plan_wake_usec(const SuspendPlan *p) {
        return p->wake_realtime_usec > 0 ? p->wake_realtime_usec
                                         : usec_add(p->suspend_realtime_usec, usec_from_sec(p->duration_sec));
}

/* MinimumDuration= as the helper's --min-seconds=, rounded to the nearest
 * second as the helper rounds a wake time: what hostpmd accepted passes
 * the helper's check when the timer fires on time, and fails it when the
 * alarm would be set too late. */
static inline uint64_t suspend_plan_min_seconds(const Config *config) {
        return usec_add(config->minimum_duration_usec, USEC_PER_SEC / 2) / USEC_PER_SEC;
}
