/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <time.h>

#include "bus-names.h"
#include "macro.h"
#include "pending-check.h"
#include "timespan.h"

enum { UNIT_SERVICE, UNIT_TIMER, _UNIT_MAX };

struct PendingCheck {
        sd_bus *bus;
        sd_bus_slot *slots[1 + _UNIT_MAX];  /* the list, then both units' properties at once */
        sd_bus_message *replies[_UNIT_MAX];
        UnitProperties units[_UNIT_MAX];    /* pointing into replies[] */
        unsigned outstanding;
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
        for (size_t i = 0; i < _UNIT_MAX; i++) {
                unit_properties_done(&c->units[i]);
                sd_bus_message_unref(c->replies[i]);
        }
        sd_bus_error_free(&c->bus_error);
        sd_bus_unref(c->bus);
        free(c);
        return NULL;
}

/* The last answer is in: tell the caller, from the units' properties as
 * schedule_read_pending() reads them. The caller may free the check from
 * its callback, so what it is told is moved out of it first. */
static void finish(PendingCheck *c) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(pending_done) Pending p = {0};
        int r = c->error;

        if (r >= 0)
                r = pending_from_units(&c->units[UNIT_SERVICE], &c->units[UNIT_TIMER],
                                       clock_now_usec(CLOCK_MONOTONIC), clock_now_usec(CLOCK_REALTIME), &p);
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
        c->error = r < 0 ? r : -EIO;
        if (e)
                (void) sd_bus_error_copy(&c->bus_error, e);
}

static void got_properties(PendingCheck *c, size_t u, sd_bus_message *reply) {
        const sd_bus_error *e = sd_bus_message_get_error(reply);
        int r;

        if (e)
                fail(c, -sd_bus_error_get_errno(e), e);
        else if (c->error >= 0) {
                c->replies[u] = sd_bus_message_ref(reply);
                r = unit_properties_read(reply, &c->units[u]);
                if (r < 0)
                        fail(c, r, NULL);
        }
        if (--c->outstanding == 0)
                finish(c);
}

static int reply_service(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        got_properties(userdata, UNIT_SERVICE, reply);
        return 0;
}

static int reply_timer(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        got_properties(userdata, UNIT_TIMER, reply);
        return 0;
}

static int get_all(PendingCheck *c, size_t unit, const char *name) {
        _cleanup_free_ char *path = NULL;
        int r;

        r = schedule_unit_path(name, &path);
        if (r < 0)
                return r;
        /* "": every interface, as schedule_read_pending() asks */
        r = sd_bus_call_method_async(c->bus, &c->slots[1 + unit], SYSTEMD_BUS_NAME, path,
                                     "org.freedesktop.DBus.Properties", "GetAll",
                                     unit == UNIT_SERVICE ? reply_service : reply_timer, c, "s", "");
        if (r < 0)
                return r;
        c->outstanding++;
        return 0;
}

static int reply_list(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        PendingCheck *c = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(reply);
        bool any = false;
        int r;

        if (e) {
                fail(c, -sd_bus_error_get_errno(e), e);
                finish(c);
                return 0;
        }

        /* The list only says whether to ask: what is pending is read, as
         * by schedule_read_pending(), from each unit's own properties. */
        r = sd_bus_message_enter_container(reply, 'a', "(ssssssouso)");
        while (r > 0) {
                const char *name, *description, *load, *active, *sub, *following, *path, *job_type, *job_path;
                uint32_t job_id;

                r = sd_bus_message_read(reply, "(ssssssouso)", &name, &description, &load, &active, &sub,
                                        &following, &path, &job_id, &job_type, &job_path);
                if (r > 0 && streq(name, SCHEDULE_SERVICE_UNIT))
                        any = true;
        }
        if (r < 0) {
                fail(c, r, NULL);
                finish(c);
                return 0;
        }
        if (!any) {
                finish(c);
                return 0;
        }

        r = get_all(c, UNIT_SERVICE, SCHEDULE_SERVICE_UNIT);
        if (r >= 0)
                r = get_all(c, UNIT_TIMER, SCHEDULE_TIMER_UNIT);
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

        r = sd_bus_message_new_method_call(bus, &m, SYSTEMD_BUS_NAME, SYSTEMD_OBJECT_PATH, SYSTEMD_MANAGER_IFACE,
                                           "ListUnitsByPatterns");
        if (r >= 0)
                r = sd_bus_message_append_strv(m, (char *[]) { NULL });
        if (r >= 0)
                r = sd_bus_message_append_strv(m, (char *[]) { (char *) SCHEDULE_TIMER_UNIT,
                                                               (char *) SCHEDULE_SERVICE_UNIT, NULL });
        if (r >= 0)
                r = sd_bus_call_async(bus, &c->slots[0], m, reply_list, c, 0);
        if (r < 0) {
                pending_check_free(c);
                return r;
        }
        *ret = c;
        return 0;
}
