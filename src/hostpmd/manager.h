/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* hostpmd's one object: the bus connection, the configuration and the
 * calls in flight. Nothing here outlives the process: what is pending
 * lives in systemd's units, what happened in the helper's outcome record. */

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "config.h"
#include "capabilities.h"
#include "log-limit.h"
#include "net-info.h"
#include "schedule.h"

typedef struct BusNameOwner BusNameOwner;
typedef struct CapabilitiesWaiter CapabilitiesWaiter;
typedef struct StayAwake StayAwake;
typedef struct SuspendRequest SuspendRequest;

typedef struct Manager {
        sd_event *event;
        sd_bus *bus;
        BusNameOwner *systemd;         /* whose JobNew/JobRemoved count */
        Config config;

        CapabilitiesQuery *capabilities_query;
        CapabilitiesWaiter *capabilities_waiters;
        Capabilities *capabilities_logind;   /* logind has answered; the interfaces are still out */
        NetInfo *net_info;

        SuspendRequest *requests;      /* between arrival and reply */
        LogLimit log_limit;            /* what refused callers may make us journal, per UID */

        sd_event_source *idle_timer;
        uint64_t idle_timeout_usec;
        bool releasing_name;           /* idle: the name is given up, finishing what is queued */

        /* The request whose helper service hostpmd last saw scheduled or
         * started, so its end is announced under its own id even when the
         * helper left no record. Not state: lost with the process, and
         * then the record's own id is announced. */
        char *followed_id;

        StayAwake *stay_awake;         /* StayAwakeAfterWake=: the inhibitor held after a resume (stay-awake.c) */

        /* Per event-loop iteration caches, so GetAll() asks systemd once. */
        uint64_t pending_cached_at;
        Pending pending;
} Manager;

int manager_new(Manager **ret);
Manager *manager_free(Manager *m);
int manager_connect_bus(Manager *m);
int manager_run(Manager *m);

/* Marks activity: postpones the idle exit. */
void manager_touch(Manager *m);

/* Pending request as systemd knows it, cached for this iteration. */
int manager_get_pending(Manager *m, const Pending **ret, sd_bus_error *error);
void manager_forget_pending(Manager *m);

void manager_follow(Manager *m, const char *id);
int manager_emit_scheduled(Manager *m, const char *id, SleepTarget target, uint64_t suspend_usec, uint64_t wake_usec);
int manager_emit_cancelled(Manager *m, const char *id);

DEFINE_TRIVIAL_CLEANUP_FUNC(Manager *, manager_free)
