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
        unsigned outstanding;
        Pending pending;
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
        pending_done(&c->pending);
        sd_bus_error_free(&c->bus_error);
        sd_bus_unref(c->bus);
        free(c);
        return NULL;
}

/* The last answer is in: tell the caller. The caller may free the check
 * from its callback, so what it is told is moved out of it first. */
static void finish(PendingCheck *c) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(pending_done) Pending p = c->pending;

        c->pending = (Pending) {0};
        if (c->error < 0) {
                sd_bus_error_move(&error, &c->bus_error);
                c->done(c->error, NULL, &error, c->userdata);
        } else if (c->gone || p.state == PENDING_NONE)
                c->done(0, NULL, NULL, c->userdata);
        else
                c->done(1, &p, NULL, c->userdata);
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

static int reply_property(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        PendingCheck *c = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(reply);
        int r = 0;

        if (e)
                fail(c, -sd_bus_error_get_errno(e), e);
        else if (c->error >= 0 && !c->gone) {
                char type = 0;
                const char *contents = NULL;

                r = sd_bus_message_peek_type(reply, &type, &contents);
                if (r >= 0 && streq_ptr(contents, "a(sasbttttuii)")) {
                        r = sd_bus_message_enter_container(reply, 'v', contents);
                        if (r >= 0)
                                r = pending_parse_exec_start(reply, &c->pending);
                        /* an empty stub: the service ended and was collected */
                        if (r == -EBADMSG) {
                                c->gone = true;
                                r = 0;
                        }
                } else if (r >= 0) {
                        uint64_t v = 0;

                        r = sd_bus_message_read(reply, "v", "t", &v);
                        if (r >= 0 && c->pending.state == PENDING_SUSPENDING)
                                c->pending.suspend_realtime_usec = v;  /* ExecMainStartTimestamp */
                        else if (r >= 0 && v > 0) {
                                /* NextElapseUSecMonotonic: the timer counts in CLOCK_MONOTONIC */
                                uint64_t now_mono = clock_now_usec(CLOCK_MONOTONIC);

                                c->pending.suspend_realtime_usec = usec_add(clock_now_usec(CLOCK_REALTIME),
                                                                            v > now_mono ? v - now_mono : 0);
                        }
                }
                if (r < 0)
                        fail(c, r, NULL);
        }

        if (--c->outstanding == 0)
                finish(c);
        return 0;
}

static int get_property(PendingCheck *c, const char *path, const char *iface, const char *property) {
        int r;

        r = sd_bus_call_method_async(c->bus, &c->slots[1 + c->outstanding], SYSTEMD_BUS_NAME, path,
                                     "org.freedesktop.DBus.Properties", "Get", reply_property, c, "ss",
                                     iface, property);
        if (r < 0)
                return r;
        c->outstanding++;
        return 0;
}

static bool state_in(const char *s, const char *a, const char *b, const char *c) {
        return streq(s, a) || streq(s, b) || (c && streq(s, c));
}

static int reply_list(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        PendingCheck *c = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(reply);
        _cleanup_free_ char *timer_path = NULL, *service_path = NULL;
        bool timer_pending = false, service_running = false;
        int r;

        if (e) {
                fail(c, -sd_bus_error_get_errno(e), e);
                finish(c);
                return 0;
        }

        r = sd_bus_message_enter_container(reply, 'a', "(ssssssouso)");
        while (r > 0) {
                const char *name, *description, *load, *active, *sub, *following, *path, *job_type, *job_path;
                uint32_t job_id;

                r = sd_bus_message_read(reply, "(ssssssouso)", &name, &description, &load, &active, &sub,
                                        &following, &path, &job_id, &job_type, &job_path);
                if (r <= 0)
                        break;
                if (streq(name, SCHEDULE_TIMER_UNIT)) {
                        /* just created, its start job not run yet: pending all the same */
                        timer_pending = streq(active, "active") || job_id != 0;
                        timer_path = strdup(path);
                        if (!timer_path)
                                r = -ENOMEM;
                } else if (streq(name, SCHEDULE_SERVICE_UNIT)) {
                        service_running = state_in(active, "activating", "active", "deactivating");
                        service_path = strdup(path);
                        if (!service_path)
                                r = -ENOMEM;
                }
        }
        if (r < 0) {
                fail(c, r, NULL);
                finish(c);
                return 0;
        }

        c->pending.target = _SLEEP_TARGET_INVALID;
        if (service_running)
                c->pending.state = PENDING_SUSPENDING;
        else if (timer_pending)
                c->pending.state = PENDING_SCHEDULED;
        else {
                finish(c);
                return 0;
        }

        /* the request's details, and when the suspend starts or started */
        r = 0;
        if (service_path)
                r = get_property(c, service_path, SERVICE_IFACE, "ExecStart");
        if (r >= 0 && c->pending.state == PENDING_SUSPENDING)
                r = get_property(c, service_path, SERVICE_IFACE, "ExecMainStartTimestamp");
        else if (r >= 0 && timer_path)
                r = get_property(c, timer_path, TIMER_IFACE, "NextElapseUSecMonotonic");
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
