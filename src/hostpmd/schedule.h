/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The transient timer/service pair that carries a suspend out, and reading
 * it back: systemd's units are the only record of what is pending, so a
 * restarted hostpmd sees what an earlier one scheduled. */

#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-bus.h>

#include "suspend-plan.h"

/* Fixed names: a second StartTransientUnit fails with UnitExists, a guard
 * against two suspends that survives restarts of hostpmd. */
#define SCHEDULE_TIMER_UNIT   "hostpm-suspend.timer"
#define SCHEDULE_SERVICE_UNIT "hostpm-suspend.service"

typedef enum PendingState {
        PENDING_NONE,
        PENDING_SCHEDULED,   /* the timer waits; cancel still possible */
        PENDING_SUSPENDING,  /* the helper runs: too late to cancel */
} PendingState;

typedef struct Pending {
        PendingState state;
        char *id;
        SleepTarget target;
        uint64_t duration_sec;          /* 0 with a wake time */
        uint64_t wake_realtime_usec;    /* 0 with a duration */
        uint64_t suspend_realtime_usec; /* when the timer fires, or fired (the helper's start) */
        uid_t requester_uid;
        pid_t requester_pid;
} Pending;

void pending_done(Pending *p);
const char *pending_state_to_string(PendingState s);

/* What the helper is told, as its argv (no shell ever). */
typedef struct HelperRequest {
        const char *id;
        SleepTarget target;
        uint64_t duration_sec;
        uint64_t wake_realtime_usec;
        bool ignore_inhibitors;
        const char *rtc_device;
        const char *wake_on_lan;   /* "eno1,eno2" to arm first (WakeOnLanInterfaces=), or NULL */
        uid_t requester_uid;
        pid_t requester_pid;
} HelperRequest;

char **helper_argv_new(const char *helper_path, const HelperRequest *req);
/* Reads back what helper_argv_new() wrote into *p; -EBADMSG if foreign. */
int helper_argv_parse(char **argv, Pending *p);

const char *helper_path(void);

/* Starts the pair in one StartTransientUnit call, mode "fail". Errors from
 * systemd are returned in *error (UnitExists means another is pending). */
int schedule_start(sd_bus *bus, const SuspendPlan *plan, const HelperRequest *req, sd_bus_error *error);

/* Reads the pending request, if any, into *ret: 0 none, 1 found. */
int schedule_read_pending(sd_bus *bus, Pending *ret, sd_bus_error *error);

/* Stops the timer so it never fires. Does not touch a running helper. */
int schedule_stop_timer(sd_bus *bus, sd_bus_error *error);

void strv_free(char **l);
