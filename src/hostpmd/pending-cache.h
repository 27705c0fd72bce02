/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What systemd says is pending (schedule_read_pending()), read at most
 * once per event-loop iteration: a GetAll() of the properties, or a
 * request's checks, in the same iteration ask PID 1 once. */

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "schedule.h"

typedef struct PendingCache {
        sd_bus *bus;
        sd_event *event;
        uint64_t read_at;       /* the iteration's timestamp; 0: not read */
        Pending pending;
} PendingCache;

void pending_cache_init(PendingCache *c, sd_bus *bus, sd_event *event);
void pending_cache_done(PendingCache *c);

/* 1 and *ret if a request is pending, 0 if none (*ret then says so too),
 * < 0 with error set if systemd could not be asked. *ret is valid until
 * the next call or pending_cache_forget(). */
int pending_cache_get(PendingCache *c, const Pending **ret, sd_bus_error *error);

/* Something changed in this iteration (we scheduled or stopped, systemd
 * sent a job signal): the next get asks again. */
void pending_cache_forget(PendingCache *c);
