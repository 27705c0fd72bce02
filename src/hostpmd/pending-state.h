/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What is pending, derived from what systemd shows of the timer/service
 * pair: a pure function of the units' properties, so every in-between
 * state of the pair has one answer, and a test can name them all. */

#include <stdbool.h>
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

/* One unit as systemd showed it. The states of both units come from one
 * ListUnitsByPatterns(), so they agree with each other (a timer's
 * ActiveState read before its start job ran and its Job after do not);
 * the rest, what the request is and when, is read after. Strings point
 * into the replies they were read from. */
typedef struct UnitProperties {
        const char *load_state;           /* "loaded", "not-found", …; NULL: not listed */
        const char *active_state;         /* "inactive", "active", "activating", … */
        const char *sub_state;            /* a timer: "waiting", "running", "elapsed", "dead" */
        uint32_t job_id;                  /* 0: no job queued */
        const char *path;                 /* its object path */
        uint64_t exec_main_start_usec;    /* a service: its process started (CLOCK_REALTIME); 0: never */
        uint64_t next_elapse_monotonic_usec;  /* a timer: when it fires (CLOCK_MONOTONIC); 0: not armed */
        char **argv;                      /* a service: its ExecStart='s argv (owned), or NULL */
} UnitProperties;

void unit_properties_done(UnitProperties *u);

/* The ListUnitsByPatterns() call for both units, and its reply read:
 * 0, or < 0 if it is malformed. Units not listed are not loaded. */
int unit_list_new(sd_bus *bus, sd_bus_message **ret);
int unit_list_read(sd_bus_message *reply, UnitProperties *ret_service, UnitProperties *ret_timer);

/* The pending state of what the list showed: the one answer for every
 * state the pair passes through. */
PendingState pending_state_from_units(const UnitProperties *service, const UnitProperties *timer);

/* A Properties.Get() reply (v) of the property named into *u: ExecStart,
 * ExecMainStartTimestamp or NextElapseUSecMonotonic. */
int unit_property_read(sd_bus_message *reply, const char *name, UnitProperties *u);

/* The property that says when the suspend starts or started, given the
 * state: the service's or the timer's (whose unit is *ret_unit_is_timer). */
const char *pending_time_property(PendingState state, bool *ret_unit_is_timer);

/* The pending request from both units, with the service's argv and the
 * time property read: 0 none, 1 pending as *ret, -ENOMEM. now_* turn the
 * timer's monotonic elapse into wall time. */
int pending_from_units(const UnitProperties *service, const UnitProperties *timer,
                       uint64_t now_monotonic_usec, uint64_t now_realtime_usec, Pending *ret);

/* The helper's argv (as hostpmd wrote it) into *p's request fields:
 * 0, -ENOMEM, or -EBADMSG if it is not hostpm-sleep's. */
int pending_from_helper_argv(char **argv, Pending *p);
