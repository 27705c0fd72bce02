/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <inttypes.h>

#include "bus-names.h"
#include "macro.h"
#include "next-timer-plan.h"
#include "timespan.h"

void next_timer_done(NextTimer *t) {
        free(t->unit);
        *t = (NextTimer) {0};
}

static bool elapse_set(uint64_t usec) {
        return usec > 0 && usec != UINT64_MAX;
}

int next_timer_add(NextTimer *t, const Config *config, const char *unit, uint64_t next_realtime_usec,
                   uint64_t next_monotonic_usec, bool wake_system, uint64_t now_realtime_usec,
                   uint64_t now_monotonic_usec) {
        uint64_t next = UINT64_MAX;
        char *copy;

        if (elapse_set(next_realtime_usec))
                next = next_realtime_usec;
        /* systemd reports it in CLOCK_MONOTONIC even for WakeSystem=yes
         * (which counts CLOCK_BOOTTIME): what is left, from now. One that
         * has passed is no elapse: systemd 252 shifts a WakeSystem=yes
         * timer's unset 0 from CLOCK_BOOTTIME to a few microseconds of
         * CLOCK_MONOTONIC (seen on a real guest), and a passed elapse has
         * fired. */
        if (elapse_set(next_monotonic_usec) && next_monotonic_usec > now_monotonic_usec) {
                uint64_t at = usec_add(now_realtime_usec, next_monotonic_usec - now_monotonic_usec);

                next = at < next ? at : next;
        }
        if (next == UINT64_MAX)
                return 0;  /* nothing ahead: not waiting */

        t->n_waiting++;
        if (!wake_system && !config->next_timer_all)
                return 0;
        t->n_counted++;
        if (t->unit && next >= t->elapse_realtime_usec)
                return 0;

        copy = strdup(unit);
        if (!copy)
                return -ENOMEM;
        free(t->unit);
        t->unit = copy;
        t->elapse_realtime_usec = next;
        return 0;
}

int next_timer_check_request(const Config *config, const char *target, const NextTimerBound *bound,
                             uint64_t delay_usec, uint64_t flags, uint64_t now_realtime_usec, SuspendPlan *ret,
                             sd_bus_error *error) {
        SuspendPlan plan;
        int r;

        if (bound->duration_usec > 0 && bound->wake_usec > 0)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                         "Both a duration and a wake time were given; expected at most one of "
                                         "them as the latest wake (0 for the other), or neither for the next "
                                         "timer alone.");
        if (bound->wake_usec > 0)
                r = suspend_plan_for_wake_time(config, target, bound->wake_usec, delay_usec, flags,
                                               now_realtime_usec, &plan, error);
        else
                /* without a duration, the shortest sleep stands in for
                 * one: it always passes, so the target, flags and delay
                 * are what is checked */
                r = suspend_plan_for_duration(config, target,
                                              bound->duration_usec > 0 ? bound->duration_usec
                                                                       : config->minimum_duration_usec,
                                              delay_usec, flags, now_realtime_usec, &plan, error);
        if (r < 0)
                return r;
        *ret = plan;
        return 0;
}

static int no_timer(const Config *config, const NextTimer *t, sd_bus_error *error) {
        if (config->next_timer_all || t->n_waiting == 0)
                return sd_bus_error_setf(error, HOSTPM_ERROR_NO_NEXT_TIMER,
                                         "No systemd timer is waiting to elapse, so there is no next timer to "
                                         "wake for; nothing was scheduled. Give a duration or a wake time "
                                         "instead.");
        return sd_bus_error_setf(error, HOSTPM_ERROR_NO_NEXT_TIMER,
                                 "None of the %u systemd timers waiting to elapse has WakeSystem=yes, so there "
                                 "is no next timer to wake for; nothing was scheduled. Set WakeSystem=yes on "
                                 "the timers to wake for, or NextTimers=all in hostpm.conf.",
                                 t->n_waiting);
}

int next_timer_plan(const Config *config, const SuspendPlan *base, const NextTimerBound *bound,
                    const NextTimer *t, uint64_t now_realtime_usec, SuspendPlan *ret, bool *ret_by_timer,
                    sd_bus_error *error) {
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        const char *target = sleep_target_to_string(base->target);
        uint64_t suspend = usec_add(now_realtime_usec, base->delay_usec), timer_wake, bound_wake = 0;
        SuspendPlan plan;
        int r;

        if (!t->unit)
                return no_timer(config, t, error);

        /* the RTC counts whole seconds: the alarm is set for this one */
        timer_wake = t->elapse_realtime_usec > config->next_timer_lead_usec
                             ? t->elapse_realtime_usec - config->next_timer_lead_usec : 0;
        timer_wake -= timer_wake % USEC_PER_SEC;

        if (bound->duration_usec > 0)
                bound_wake = usec_add(suspend, (bound->duration_usec + USEC_PER_SEC - 1) / USEC_PER_SEC * USEC_PER_SEC);
        else if (bound->wake_usec > 0)
                bound_wake = bound->wake_usec - bound->wake_usec % USEC_PER_SEC;

        if (bound_wake > 0 && bound_wake <= timer_wake) {
                if (bound->duration_usec > 0)
                        r = suspend_plan_for_duration(config, target, bound->duration_usec, base->delay_usec,
                                                      base->flags, now_realtime_usec, &plan, error);
                else
                        r = suspend_plan_for_wake_time(config, target, bound->wake_usec, base->delay_usec,
                                                       base->flags, now_realtime_usec, &plan, error);
                if (r < 0)
                        return r;
                *ret = plan;
                *ret_by_timer = false;
                return 0;
        }

        r = suspend_plan_for_wake_time(config, target, timer_wake, base->delay_usec, base->flags,
                                       now_realtime_usec, &plan, &e);
        if (r < 0) {
                char at[WALL_TIME_MAX_STRING], lead[DURATION_MAX_STRING];
                bool too_far = timer_wake > suspend && timer_wake - suspend > config->maximum_duration_usec;

                if (!format_wall_time(at, sizeof at, t->elapse_realtime_usec))
                        snprintf(at, sizeof at, "@%" PRIu64, t->elapse_realtime_usec / USEC_PER_SEC);
                format_duration(lead, sizeof lead, config->next_timer_lead_usec);
                return sd_bus_error_setf(error, e.name,
                                         "The next timer, %s, elapses at %s, and the host would wake "
                                         "NextTimerLead=%s before it: %s%s",
                                         t->unit, at, lead, e.message ? e.message : "refused",
                                         too_far ? " Give a duration or a wake time to wake earlier."
                                                 : " Let the job run first, or lower NextTimerLead=.");
        }
        *ret = plan;
        *ret_by_timer = true;
        return 0;
}
