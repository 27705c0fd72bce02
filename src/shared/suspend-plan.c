/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <inttypes.h>

#include "bus-names.h"
#include "macro.h"
#include "sleep-legs.h"
#include "suspend-plan.h"
#include "timespan.h"

static int check_common(
                const Config *config,
                const char *target,
                uint64_t delay_usec,
                uint64_t flags,
                uint64_t now_realtime_usec,
                SuspendPlan *plan,
                sd_bus_error *error) {

        char buf[DURATION_MAX_STRING];
        SleepTarget t;
        size_t n;

        /* Before the target is put in any message or journal entry: the
         * caller's string is up to the bus's message limit (32 MiB). */
        n = strnlen(target, SUSPEND_TARGET_MAX + 1);
        if (n > SUSPEND_TARGET_MAX)
                return sd_bus_error_setf(error, HOSTPM_ERROR_INVALID_TARGET,
                                         "The sleep target is longer than %i bytes; expected one of: %s.",
                                         SUSPEND_TARGET_MAX, sleep_target_list());

        t = sleep_target_from_string(target);
        if (t < 0)
                return sd_bus_error_setf(error, HOSTPM_ERROR_INVALID_TARGET,
                                         "Unknown sleep target '%s'; expected one of: %s.",
                                         target, sleep_target_list());
        if (!config->allowed_targets[t])
                return sd_bus_error_setf(error, HOSTPM_ERROR_UNSUPPORTED_TARGET,
                                         "Sleep target '%s' is not allowed by AllowedTargets= in hostpm.conf.",
                                         target);

        if (flags & ~HOSTPM_FLAGS_ALL)
                return sd_bus_error_setf(error, HOSTPM_ERROR_INVALID_FLAGS,
                                         "Unknown flags 0x%" PRIx64 "; accepted are 0x%" PRIx64
                                         " (1 = ignore inhibitors, 2 = dry run).",
                                         flags & ~HOSTPM_FLAGS_ALL, HOSTPM_FLAGS_ALL);

        if (delay_usec == 0)
                delay_usec = config->delay_usec;
        if (delay_usec < SUSPEND_DELAY_MIN_USEC || delay_usec > SUSPEND_DELAY_MAX_USEC)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                         "Delay of %s is out of range; expected 1s to 1d, or 0 for the configured %s.",
                                         format_duration(buf, sizeof buf, delay_usec),
                                         format_duration((char[DURATION_MAX_STRING]) {0}, DURATION_MAX_STRING,
                                                         config->delay_usec));

        *plan = (SuspendPlan) {
                .target = t,
                .flags = flags,
                .delay_usec = delay_usec,
                .suspend_realtime_usec = usec_add(now_realtime_usec, delay_usec),
        };
        return 0;
}

/* The one bound both entry points share: what the RTC and the host can
 * honour. */
static int check_duration(const Config *config, uint64_t duration_usec, const char *what, sd_bus_error *error) {
        char asked[DURATION_MAX_STRING], lo[DURATION_MAX_STRING], hi[DURATION_MAX_STRING];

        if (duration_usec >= config->minimum_duration_usec && duration_usec <= config->maximum_duration_usec)
                return 0;

        return sd_bus_error_setf(error, HOSTPM_ERROR_DURATION_OUT_OF_RANGE,
                                 "%s %s is out of range; expected %s to %s (MinimumDuration= and "
                                 "MaximumDuration= in hostpm.conf).",
                                 what, format_duration(asked, sizeof asked, duration_usec),
                                 format_duration(lo, sizeof lo, config->minimum_duration_usec),
                                 format_duration(hi, sizeof hi, config->maximum_duration_usec));
}

/* A sleep longer than the RTC's alarm reaches is slept in legs; each must
 * be long enough to arm (sleep-legs.h), or nothing is scheduled. */
static int check_legs(const Config *config, SuspendPlan *plan, sd_bus_error *error) {
        _cleanup_free_ char *reason = NULL;
        SleepChain chain = {
                .target = plan->target,
                .seconds = plan->duration_sec,
                .range = config->alarm_range_sec,
                .min_seconds = suspend_plan_min_seconds(config),
        };
        int r;

        if (plan->target == SLEEP_TARGET_SUSPEND_THEN_HIBERNATE)
                chain.hibernate_after = usec_add(config->hibernate_delay_usec, USEC_PER_SEC / 2) / USEC_PER_SEC;

        r = sleep_chain_check(&chain, &plan->legs, &reason);
        if (r == -ENOMEM)
                return sd_bus_error_set_errno(error, r);
        if (r == -E2BIG)
                return sd_bus_error_setf(error, HOSTPM_ERROR_DURATION_OUT_OF_RANGE, "Too long: %s.", reason);
        if (r < 0)
                return sd_bus_error_setf(error, HOSTPM_ERROR_LEG_NOT_ARMABLE, "Cannot sleep in legs: %s.", reason);

        plan->alarm_range_sec = config->alarm_range_sec;
        plan->hibernate_after_sec = chain.hibernate_after;
        return 0;
}

int suspend_plan_for_duration(
                const Config *config,
                const char *target,
                uint64_t duration_usec,
                uint64_t delay_usec,
                uint64_t flags,
                uint64_t now_realtime_usec,
                SuspendPlan *ret,
                sd_bus_error *error) {

        SuspendPlan plan;
        int r;

        r = check_common(config, target, delay_usec, flags, now_realtime_usec, &plan, error);
        if (r < 0)
                return r;
        r = check_duration(config, duration_usec, "A sleep of", error);
        if (r < 0)
                return r;

        /* The RTC counts whole seconds; round up so the host never sleeps
         * less than asked. */
        plan.duration_sec = duration_usec / USEC_PER_SEC + (duration_usec % USEC_PER_SEC != 0);
        r = check_legs(config, &plan, error);
        if (r < 0)
                return r;
        *ret = plan;
        return 0;
}

/* The wake time's checks against the plan's suspend time; fills in the
 * duration. retimed: the suspend time was taken anew after authorization,
 * which the messages say. */
static int check_wake_time(const Config *config, SuspendPlan *plan, bool retimed, sd_bus_error *error) {
        char wake[WALL_TIME_MAX_STRING], at[WALL_TIME_MAX_STRING];
        int r;

        if (plan->wake_realtime_usec <= plan->suspend_realtime_usec) {
                if (!format_wall_time(wake, sizeof wake, plan->wake_realtime_usec))
                        snprintf(wake, sizeof wake, "@%" PRIu64, plan->wake_realtime_usec / USEC_PER_SEC);
                if (!format_wall_time(at, sizeof at, plan->suspend_realtime_usec))
                        snprintf(at, sizeof at, "@%" PRIu64, plan->suspend_realtime_usec / USEC_PER_SEC);
                return sd_bus_error_setf(error, HOSTPM_ERROR_WAKE_TIME_IN_PAST,
                                         "%sWake time %s is not after the suspend at %s; expected a time at "
                                         "least MinimumDuration= after it.",
                                         retimed ? "By the time the request was authorized: " : "", wake, at);
        }

        r = check_duration(config, plan->wake_realtime_usec - plan->suspend_realtime_usec,
                           retimed ? "By the time the request was authorized, waking at that time means a sleep of"
                                   : "Waking at that time means a sleep of",
                           error);
        if (r < 0)
                return r;

        plan->duration_sec = (plan->wake_realtime_usec - plan->suspend_realtime_usec) / USEC_PER_SEC;
        return check_legs(config, plan, error);
}

int suspend_plan_for_wake_time(
                const Config *config,
                const char *target,
                uint64_t wake_realtime_usec,
                uint64_t delay_usec,
                uint64_t flags,
                uint64_t now_realtime_usec,
                SuspendPlan *ret,
                sd_bus_error *error) {

        SuspendPlan plan;
        int r;

        r = check_common(config, target, delay_usec, flags, now_realtime_usec, &plan, error);
        if (r < 0)
                return r;

        /* The RTC, and the helper's --wake-at=, count whole seconds: the
         * checks are about the second the alarm is really set for. */
        plan.wake_realtime_usec = wake_realtime_usec - wake_realtime_usec % USEC_PER_SEC;
        r = check_wake_time(config, &plan, /* retimed= */ false, error);
        if (r < 0)
                return r;

        *ret = plan;
        return 0;
}

int suspend_plan_retime(const Config *config, SuspendPlan *plan, uint64_t now_realtime_usec, sd_bus_error *error) {
        SuspendPlan p = *plan;
        int r;

        p.suspend_realtime_usec = usec_add(now_realtime_usec, p.delay_usec);
        if (p.wake_realtime_usec > 0) {
                /* An interactive authorization may have taken minutes. */
                r = check_wake_time(config, &p, /* retimed= */ true, error);
                if (r < 0)
                        return r;
        }
        *plan = p;
        return 0;
}
