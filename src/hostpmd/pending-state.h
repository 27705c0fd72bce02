/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What is pending, derived from what systemd shows of the timer/service
 * pair: a pure function of the units' properties, so every in-between
 * state of the pair has one answer, and a test can name them all. */

#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-bus.h>

#include "sleep-target.h"

typedef enum PendingState {
        PENDING_NONE,
        PENDING_SCHEDULED,   /* the timer waits; cancel still possible */
        PENDING_SUSPENDING,  /* the timer fired, the helper runs or is about to: too late to cancel */
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

/* One unit as one GetAll() showed it, so its fields agree with each other
 * (ActiveState read before a job ran and Job after it do not). Strings
 * point into the reply they were read from. */
typedef struct UnitProperties {
        const char *load_state;           /* "loaded", "not-found", …; NULL: not read */
        const char *active_state;         /* "inactive", "active", "activating", … */
        const char *sub_state;            /* a timer: "waiting", "running", "elapsed", "dead" */
        uint32_t job_id;                  /* 0: no job queued */
        uint64_t exec_main_start_usec;    /* a service: its process started (CLOCK_REALTIME); 0: never */
        uint64_t next_elapse_monotonic_usec;  /* a timer: when it fires (CLOCK_MONOTONIC); 0: not armed */
        uint64_t last_trigger_usec;       /* a timer: when it fired (CLOCK_REALTIME); 0: never */
        char **argv;                      /* a service: its ExecStart='s argv (owned), or NULL */
} UnitProperties;

void unit_properties_done(UnitProperties *u);

/* Reads a Properties.GetAll() reply (a{sv}, any interfaces) into *ret:
 * 0, or < 0 if it is malformed. */
int unit_properties_read(sd_bus_message *reply, UnitProperties *ret);

/* The pending request from the service (read first) and the timer (read
 * after it): 0 none, 1 pending as *ret, -ENOMEM. now_* convert the
 * timer's monotonic elapse to wall time. */
int pending_from_units(const UnitProperties *service, const UnitProperties *timer,
                       uint64_t now_monotonic_usec, uint64_t now_realtime_usec, Pending *ret);

/* The helper's argv (as hostpmd wrote it) into *p's request fields:
 * 0, -ENOMEM, or -EBADMSG if it is not hostpm-sleep's. */
int pending_from_helper_argv(char **argv, Pending *p);

/* The service's ExecStart property (a(sasbttttuii), the reply positioned
 * at it) read the same way. */
int pending_parse_exec_start(sd_bus_message *reply, Pending *p);
