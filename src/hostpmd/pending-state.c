/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "helper-args.h"
#include "macro.h"
#include "pending-state.h"
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

static int read_variant(sd_bus_message *reply, const char *name, UnitProperties *u) {
        const char *job_path;
        int r;

        if (streq(name, "LoadState"))
                return sd_bus_message_read(reply, "v", "s", &u->load_state);
        if (streq(name, "ActiveState"))
                return sd_bus_message_read(reply, "v", "s", &u->active_state);
        if (streq(name, "SubState"))
                return sd_bus_message_read(reply, "v", "s", &u->sub_state);
        if (streq(name, "Job"))
                return sd_bus_message_read(reply, "v", "(uo)", &u->job_id, &job_path);
        if (streq(name, "ExecMainStartTimestamp"))
                return sd_bus_message_read(reply, "v", "t", &u->exec_main_start_usec);
        if (streq(name, "NextElapseUSecMonotonic"))
                return sd_bus_message_read(reply, "v", "t", &u->next_elapse_monotonic_usec);
        if (streq(name, "LastTriggerUSec"))
                return sd_bus_message_read(reply, "v", "t", &u->last_trigger_usec);
        if (streq(name, "ExecStart")) {
                r = sd_bus_message_enter_container(reply, 'v', "a(sasbttttuii)");
                if (r < 0)
                        return r;
                strv_free(u->argv);
                u->argv = NULL;
                r = read_exec_start_argv(reply, &u->argv);
                if (r < 0)
                        return r;
                return sd_bus_message_exit_container(reply);
        }
        return sd_bus_message_skip(reply, "v");
}

int unit_properties_read(sd_bus_message *reply, UnitProperties *ret) {
        _cleanup_(unit_properties_done) UnitProperties u = {0};
        int r;

        r = sd_bus_message_enter_container(reply, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(reply, 'e', "sv")) > 0) {
                const char *name;

                r = sd_bus_message_read(reply, "s", &name);
                if (r >= 0)
                        r = read_variant(reply, name, &u);
                if (r >= 0)
                        r = sd_bus_message_exit_container(reply);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        r = sd_bus_message_exit_container(reply);
        if (r < 0)
                return r;
        *ret = u;
        u = (UnitProperties) {0};
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

int pending_parse_exec_start(sd_bus_message *reply, Pending *p) {
        _cleanup_(strv_freep) char **argv = NULL;
        int r;

        r = read_exec_start_argv(reply, &argv);
        if (r < 0)
                return r;
        return pending_from_helper_argv(argv, p);
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

static PendingState state_from_units(const UnitProperties *service, const UnitProperties *timer) {
        bool timer_loaded = loaded(timer);

        if (loaded(service)) {
                /* Running, or its start job queued: the timer has fired
                 * (it is gone, or not, by now), and stopping the timer no
                 * longer stops the suspend. */
                if (busy(service) || service->job_id != 0)
                        return PENDING_SUSPENDING;
                /* The helper ran and ended: the timer only catches up. */
                if (service->exec_main_start_usec > 0)
                        return PENDING_NONE;
        }
        if (!timer_loaded)
                return PENDING_NONE;
        /* It fired after the service was looked at: the service's start
         * job was queued when it did. */
        if (streq_ptr(timer->sub_state, "running"))
                return PENDING_SUSPENDING;
        /* Waiting, or just created with its start job not run yet. */
        if (streq_ptr(timer->sub_state, "waiting") || timer->job_id != 0)
                return PENDING_SCHEDULED;
        /* stopped (cancelled), failed or elapsed */
        return PENDING_NONE;
}

int pending_from_units(const UnitProperties *service, const UnitProperties *timer,
                       uint64_t now_monotonic_usec, uint64_t now_realtime_usec, Pending *ret) {
        _cleanup_(pending_done) Pending p = { .target = _SLEEP_TARGET_INVALID };
        int r;

        p.state = state_from_units(service, timer);
        if (p.state == PENDING_NONE)
                goto none;

        /* The request is what the helper is told: a service of that name
         * that is not ours (or an empty stub) holds no request. */
        if (!loaded(service))
                goto none;
        r = pending_from_helper_argv(service->argv, &p);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                goto none;

        if (p.state == PENDING_SUSPENDING) {
                /* the plan's clock: the helper's start, else the timer's firing, else now */
                p.suspend_realtime_usec = service->exec_main_start_usec;
                if (p.suspend_realtime_usec == 0 && loaded(timer))
                        p.suspend_realtime_usec = timer->last_trigger_usec;
                if (p.suspend_realtime_usec == 0)
                        p.suspend_realtime_usec = now_realtime_usec;
        } else {
                uint64_t next = loaded(timer) ? timer->next_elapse_monotonic_usec : 0;

                /* the timer counts in CLOCK_MONOTONIC; callers want wall time.
                 * Not armed yet (its start job queued): 0, "soon". */
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
