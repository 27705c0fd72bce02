/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "pending-cache.h"

void pending_cache_init(PendingCache *c, sd_bus *bus, sd_event *event) {
        *c = (PendingCache) {
                .bus = bus,
                .event = event,
        };
}

void pending_cache_forget(PendingCache *c) {
        c->read_at = 0;
        pending_done(&c->pending);
}

void pending_cache_done(PendingCache *c) {
        pending_cache_forget(c);
}

int pending_cache_get(PendingCache *c, const Pending **ret, sd_bus_error *error) {
        uint64_t now = 0;
        int r;

        (void) sd_event_now(c->event, CLOCK_MONOTONIC, &now);
        if (c->read_at == 0 || c->read_at != now) {
                pending_cache_forget(c);
                r = schedule_read_pending(c->bus, &c->pending, error);
                if (r < 0)
                        return r;
                c->read_at = now;
        }
        *ret = &c->pending;
        return c->pending.state != PENDING_NONE;
}
