/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* hostpmd's one object: it owns the bus connection, the configuration and
 * everything hostpmd runs (the capabilities provider, the requests, the
 * idle exit), hands each what it needs and hears back through callbacks;
 * none of them sees the Manager. Nothing here outlives the process: what
 * is pending lives in systemd's units, what happened in the helper's
 * outcome record. */

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "config.h"
#include "host-capabilities.h"
#include "idle-exit.h"
#include "pending-cache.h"
#include "stay-awake.h"
#include "suspend-request.h"

typedef struct BusNameOwner BusNameOwner;

typedef struct Manager {
        sd_event *event;
        sd_bus *bus;
        BusNameOwner *systemd;         /* whose JobNew/JobRemoved count */
        Config config;

        HostCapabilities *capabilities;
        PendingCache pending;
        Requests requests;             /* the calls between arrival and reply */
        IdleExit *idle;
        StayAwake stay_awake;          /* StayAwakeAfterWake=: the inhibitor held after a resume */

        /* The request whose helper service hostpmd last saw scheduled or
         * started, so its end is announced under its own id even when the
         * helper left no record. Not state: lost with the process, and
         * then the record's own id is announced. */
        char *followed_id;
} Manager;

int manager_new(Manager **ret);
Manager *manager_free(Manager *m);
int manager_connect_bus(Manager *m);
int manager_run(Manager *m);

DEFINE_TRIVIAL_CLEANUP_FUNC(Manager *, manager_free)
