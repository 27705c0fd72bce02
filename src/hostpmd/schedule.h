/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The transient timer/service pair that carries a suspend out, and reading
 * it back: systemd's units are the only record of what is pending, so a
 * restarted hostpmd sees what an earlier one scheduled. */

#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-bus.h>

#include "pending-state.h"
#include "suspend-plan.h"

/* Fixed names: a second StartTransientUnit fails with UnitExists, a guard
 * against two suspends that survives restarts of hostpmd. */
#define SCHEDULE_TIMER_UNIT   "hostpm-suspend.timer"
#define SCHEDULE_SERVICE_UNIT "hostpm-suspend.service"

/* What the helper is told, as its argv (no shell ever). */
typedef struct HelperRequest {
        const char *id;
        SleepTarget target;
        uint64_t duration_sec;
        uint64_t wake_realtime_usec;
        uint64_t min_seconds;           /* MinimumDuration=, checked again by the helper; 0: not passed */
        uint64_t alarm_range_sec;       /* sleep in legs of at most this (sleep-legs.h); 0: one leg */
        uint64_t hibernate_after_sec;   /* suspend-then-hibernate: time in RAM first; 0: logind's method */
        bool ignore_inhibitors;
        const char *rtc_device;
        const char *wake_on_lan;   /* "eno1,eno2" to arm first (WakeOnLanInterfaces=), or NULL */
        uid_t requester_uid;
        pid_t requester_pid;
} HelperRequest;

/* The helper's argv for req, path as argv[0] (helper-args.h): 0, -ENOMEM,
 * or -EINVAL with *ret_reason saying what the helper would refuse. */
int helper_argv_new(const char *path, const HelperRequest *req, char ***ret, char **ret_reason);

const char *helper_path(void);

/* Starts the pair in one StartTransientUnit call, mode "fail". Errors from
 * systemd are returned in *error (UnitExists means another is pending). */
int schedule_start(sd_bus *bus, const SuspendPlan *plan, const HelperRequest *req, sd_bus_error *error);

/* Reads the pending request, if any, into *ret: 0 none, 1 found. One
 * ListUnitsByPatterns() for the state of both units; if something is
 * pending, the helper's argv and the time it starts or started. */
int schedule_read_pending(sd_bus *bus, Pending *ret, sd_bus_error *error);

/* Stops the timer so it never fires. Does not touch a running helper. */
int schedule_stop_timer(sd_bus *bus, sd_bus_error *error);
