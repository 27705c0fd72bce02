/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "bus-names.h"
#include "helper-args.h"
#include "macro.h"
#include "pending-state.h"
#include "schedule.h"
#include "strv.h"
#include "timespan.h"

void pending_done(Pending *p) {
        free(p->id);
        *p = (Pending) {0};
}

const char *pending_state_to_string(PendingState s) {
        switch (s) {
        case PENDING_SCHEDULED:  return "scheduled";
        case PENDING_SUSPENDING: return "suspending";
        case PENDING_NONE:       return "";
        }
        return "";
}

void unit_properties_done(UnitProperties *u) {
        strv_free(u->argv);
        *u = (UnitProperties) {0};
}

/* ExecStart= (a(sasbttttuii), the reply at the array): the first
 * command's argv, or NULL if there is none. */
static int read_exec_start_argv(sd_bus_message *reply, char ***ret) {
        _cleanup_(strv_freep) char **argv = NULL;
        const char *binary;
        int r;

        r = sd_bus_message_enter_container(reply, 'a', "(sasbttttuii)");
        if (r < 0)
                return r;
        r = sd_bus_message_enter_container(reply, 'r', "sasbttttuii");
        if (r < 0)
                return r;
        if (r > 0) {
                r = sd_bus_message_read(reply, "s", &binary);
                if (r >= 0)
                        r = sd_bus_message_read_strv(reply, &argv);
                if (r >= 0)
                        r = sd_bus_message_skip(reply, "bttttuii");
                if (r >= 0)
                        r = sd_bus_message_exit_container(reply);
                if (r < 0)
                        return r;
        }
        /* the other commands, if any: not the helper's */
        while ((r = sd_bus_message_at_end(reply, false)) == 0) {
                r = sd_bus_message_skip(reply, "(sasbttttuii)");
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        r = sd_bus_message_exit_container(reply);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(argv);
        return 0;
}

int unit_property_read(sd_bus_message *reply, const char *name, UnitProperties *u) {
        int r;

        if (streq(name, "ExecMainStartTimestamp"))
                r = sd_bus_message_read(reply, "v", "t", &u->exec_main_start_usec);
        else if (streq(name, "NextElapseUSecMonotonic"))
                r = sd_bus_message_read(reply, "v", "t", &u->next_elapse_monotonic_usec);
        else if (streq(name, "ExecStart")) {
                r = sd_bus_message_enter_container(reply, 'v', "a(sasbttttuii)");
                if (r < 0)
                        return r;
                strv_free(u->argv);
                u->argv = NULL;
                r = read_exec_start_argv(reply, &u->argv);
                if (r >= 0)
                        r = sd_bus_message_exit_container(reply);
        } else
                return -EINVAL;
        return r < 0 ? r : 0;
}

int unit_list_new(sd_bus *bus, sd_bus_message **ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r;

        r = sd_bus_message_new_method_call(bus, &m, SYSTEMD_BUS_NAME, SYSTEMD_OBJECT_PATH, SYSTEMD_MANAGER_IFACE,
                                           "ListUnitsByPatterns");
        if (r >= 0)
                r = sd_bus_message_append_strv(m, (char *[]) { NULL });  /* in any state */
        if (r >= 0)
                r = sd_bus_message_append_strv(m, (char *[]) { (char *) SCHEDULE_TIMER_UNIT,
                                                               (char *) SCHEDULE_SERVICE_UNIT, NULL });
        if (r < 0)
                return r;
        *ret = TAKE_PTR(m);
        return 0;
}

int unit_list_read(sd_bus_message *reply, UnitProperties *ret_service, UnitProperties *ret_timer) {
        UnitProperties service = {0}, timer = {0};
        int r;

        r = sd_bus_message_enter_container(reply, 'a', "(ssssssouso)");
        if (r < 0)
                return r;
        for (;;) {
                const char *name, *description, *load, *active, *sub, *following, *path, *job_type, *job_path;
                UnitProperties *u;
                uint32_t job_id;

                r = sd_bus_message_read(reply, "(ssssssouso)", &name, &description, &load, &active, &sub,
                                        &following, &path, &job_id, &job_type, &job_path);
                if (r < 0)
                        return r;
                if (r == 0)
                        break;
                u = streq(name, SCHEDULE_SERVICE_UNIT) ? &service : streq(name, SCHEDULE_TIMER_UNIT) ? &timer : NULL;
                if (u)
                        *u = (UnitProperties) {
                                .load_state = load,
                                .active_state = active,
                                .sub_state = sub,
                                .job_id = job_id,
                                .path = path,
                        };
        }
        r = sd_bus_message_exit_container(reply);
        if (r < 0)
                return r;
        *ret_service = service;
        *ret_timer = timer;
        return 0;
}

int pending_from_helper_argv(char **argv, Pending *p) {
        _cleanup_(helper_args_done) HelperArgs a = {0};
        char *id;
        int r;

        r = helper_args_from_argv(argv, &a, NULL);
        if (r < 0)
                return r;
        if (r != HELPER_ARGS_OK)
                return -EBADMSG;  /* --help is no request */
        id = strdup(a.id);
        if (!id)
                return -ENOMEM;
        free(p->id);
        p->id = id;
        p->target = a.target;
        p->duration_sec = a.seconds;
        p->wake_realtime_usec = a.wake_at * USEC_PER_SEC;  /* bounded by the codec */
        p->requester_uid = a.requester_uid;
        p->requester_pid = a.requester_pid;
        return 0;
}


static bool loaded(const UnitProperties *u) {
        return u && streq_ptr(u->load_state, "loaded");
}

/* The unit's process runs, starts or stops. */
static bool busy(const UnitProperties *u) {
        const char *s = u->active_state;

        return s && (streq(s, "active") || streq(s, "activating") || streq(s, "deactivating") ||
                     streq(s, "reloading") || streq(s, "refreshing"));
}

PendingState pending_state_from_units(const UnitProperties *service, const UnitProperties *timer) {
        /* No service, no request, whatever the timer does: the request
         * is what the helper is told. */
        if (!loaded(service))
                return PENDING_NONE;
        /* Running, or its start job queued: the timer has fired (it may
         * be gone by now), and stopping the timer no longer stops the
         * suspend. */
        if (busy(service) || service->job_id != 0)
                return PENDING_SUSPENDING;
        if (!loaded(timer))
                return PENDING_NONE;
        /* Waiting, or just created with its start job not run yet. */
        if (streq_ptr(timer->sub_state, "waiting") || timer->job_id != 0)
                return PENDING_SCHEDULED;
        /* Stopped (cancelled), failed, or fired while the service is
         * idle in the same look: a timer queues the service's start job
         * as it fires, so the helper has run and ended, and the timer
         * only catches up. */
        return PENDING_NONE;
}

const char *pending_time_property(PendingState state, bool *ret_unit_is_timer) {
        *ret_unit_is_timer = state == PENDING_SCHEDULED;
        return state == PENDING_SCHEDULED  ? "NextElapseUSecMonotonic" :
               state == PENDING_SUSPENDING ? "ExecMainStartTimestamp" : NULL;
}

int pending_from_units(const UnitProperties *service, const UnitProperties *timer,
                       uint64_t now_monotonic_usec, uint64_t now_realtime_usec, Pending *ret) {
        _cleanup_(pending_done) Pending p = { .target = _SLEEP_TARGET_INVALID };
        int r;

        p.state = pending_state_from_units(service, timer);
        if (p.state == PENDING_NONE)
                goto none;

        /* A service of that name that is not ours (or an empty stub, its
         * unit gone since the list) holds no request. */
        r = pending_from_helper_argv(service->argv, &p);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                goto none;

        if (p.state == PENDING_SUSPENDING)
                /* the plan's clock: the helper's start, or now while its
                 * start job is still queued */
                p.suspend_realtime_usec = service->exec_main_start_usec > 0 ? service->exec_main_start_usec
                                                                            : now_realtime_usec;
        else {
                uint64_t next = timer->next_elapse_monotonic_usec;

                /* the timer counts in CLOCK_MONOTONIC; callers want wall
                 * time. Not armed yet (its start job queued): 0, "soon". */
                if (next > 0 && next != UINT64_MAX)
                        p.suspend_realtime_usec = usec_add(now_realtime_usec,
                                                           next > now_monotonic_usec ? next - now_monotonic_usec : 0);
        }

        *ret = p;
        p = (Pending) {0};
        return 1;

none:
        *ret = (Pending) {0};
        return 0;
}
