/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <time.h>

#include "bus-names.h"
#include "macro.h"
#include "pending-check.h"
#include "timespan.h"

#define SERVICE_IFACE "org.freedesktop.systemd1.Service"
#define TIMER_IFACE   "org.freedesktop.systemd1.Timer"

struct PendingCheck {
        sd_bus *bus;
        sd_bus_slot *slots[3];  /* the list, then up to two property reads at once */
        sd_bus_message *list;   /* what service and timer point into */
        UnitProperties service, timer;
        unsigned outstanding;
        bool gone;              /* a unit vanished between the questions: nothing pending */
        int error;
        sd_bus_error bus_error;
        pending_check_done_t done;
        void *userdata;
};

PendingCheck *pending_check_free(PendingCheck *c) {
        if (!c)
                return NULL;
        for (size_t i = 0; i < ELEMENTSOF(c->slots); i++)
                sd_bus_slot_unref(c->slots[i]);
        unit_properties_done(&c->service);
        unit_properties_done(&c->timer);
        sd_bus_message_unref(c->list);
        sd_bus_error_free(&c->bus_error);
        sd_bus_unref(c->bus);
        free(c);
        return NULL;
}

/* The last answer is in: tell the caller what pending_from_units() makes
 * of it, as schedule_read_pending() does. The caller may free the check
 * from its callback, so what it is told is moved out of it first. */
static void finish(PendingCheck *c) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(pending_done) Pending p = {0};
        int r = c->error;

        if (r >= 0 && !c->gone && c->list)
                r = pending_from_units(&c->service, &c->timer, clock_now_usec(CLOCK_MONOTONIC),
                                       clock_now_usec(CLOCK_REALTIME), &p);
        if (r < 0) {
                sd_bus_error_move(&error, &c->bus_error);
                c->done(r, NULL, &error, c->userdata);
        } else
                c->done(r, r > 0 ? &p : NULL, NULL, c->userdata);
}

/* Records a failed answer; the first one is what the caller hears. */
static void fail(PendingCheck *c, int r, const sd_bus_error *e) {
        if (c->error < 0)
                return;
        /* unloaded between the list and the question: no longer pending */
        if (sd_bus_error_has_names(e, SD_BUS_ERROR_UNKNOWN_OBJECT, "org.freedesktop.systemd1.NoSuchUnit")) {
                c->gone = true;
                return;
        }
        c->error = r < 0 ? r : -EIO;
        if (e)
                (void) sd_bus_error_copy(&c->bus_error, e);
}

static void got_property(PendingCheck *c, sd_bus_message *reply, const char *name, UnitProperties *u) {
        const sd_bus_error *e = sd_bus_message_get_error(reply);
        int r;

        if (e)
                fail(c, -sd_bus_error_get_errno(e), e);
        else if (c->error >= 0 && !c->gone) {
                r = unit_property_read(reply, name, u);
                if (r < 0)
                        fail(c, r, NULL);
        }
        if (--c->outstanding == 0)
                finish(c);
}

static int reply_exec_start(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        PendingCheck *c = userdata;

        got_property(c, reply, "ExecStart", &c->service);
        return 0;
}

static int reply_service_time(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        PendingCheck *c = userdata;

        got_property(c, reply, "ExecMainStartTimestamp", &c->service);
        return 0;
}

static int reply_timer_time(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        PendingCheck *c = userdata;

        got_property(c, reply, "NextElapseUSecMonotonic", &c->timer);
        return 0;
}

static int get_property(PendingCheck *c, const UnitProperties *u, const char *iface, const char *property,
                        sd_bus_message_handler_t handler) {
        int r;

        r = sd_bus_call_method_async(c->bus, &c->slots[1 + c->outstanding], SYSTEMD_BUS_NAME, u->path,
                                     "org.freedesktop.DBus.Properties", "Get", handler, c, "ss", iface, property);
        if (r < 0)
                return r;
        c->outstanding++;
        return 0;
}

static int reply_list(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        PendingCheck *c = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(reply);
        PendingState state;
        const char *time_property;
        bool of_timer;
        int r;

        if (e) {
                fail(c, -sd_bus_error_get_errno(e), e);
                finish(c);
                return 0;
        }
        c->list = sd_bus_message_ref(reply);
        r = unit_list_read(reply, &c->service, &c->timer);
        if (r < 0) {
                fail(c, r, NULL);
                finish(c);
                return 0;
        }

        /* the request's details, and when the suspend starts or started, at once */
        state = pending_state_from_units(&c->service, &c->timer);
        time_property = pending_time_property(state, &of_timer);
        r = 0;
        if (state != PENDING_NONE)
                r = get_property(c, &c->service, SERVICE_IFACE, "ExecStart", reply_exec_start);
        if (r >= 0 && state != PENDING_NONE)
                r = of_timer ? get_property(c, &c->timer, TIMER_IFACE, time_property, reply_timer_time)
                             : get_property(c, &c->service, SERVICE_IFACE, time_property, reply_service_time);
        if (r < 0)
                fail(c, r, NULL);
        if (c->outstanding == 0)
                finish(c);
        return 0;
}

int pending_check_async(sd_bus *bus, pending_check_done_t done, void *userdata, PendingCheck **ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        PendingCheck *c;
        int r;

        c = calloc(1, sizeof *c);
        if (!c)
                return -ENOMEM;
        c->bus = sd_bus_ref(bus);
        c->done = done;
        c->userdata = userdata;

        r = unit_list_new(bus, &m);
        if (r >= 0)
                r = sd_bus_call_async(bus, &c->slots[0], m, reply_list, c, 0);
        if (r < 0) {
                pending_check_free(c);
                return r;
        }
        *ret = c;
        return 0;
}
