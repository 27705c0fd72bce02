/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <inttypes.h>

#include "bus-names.h"
#include "escape.h"
#include "json-util.h"
#include "macro.h"
#include "status.h"
#include "timespan.h"

void status_done(Status *s) {
        free(s->pending_id);
        free(s->pending_state);
        free(s->pending_target);
        free(s->last_id);
        free(s->last_target);
        free(s->last_result);
        free(s->last_error);
        free(s->stay_awake_id);
        free(s->last_legs);
        *s = (Status) {0};
}

/* LastLegs' a(sttbttt); a leg of a target this version does not know
 * is kept, as an invalid target. */
static int read_legs(sd_bus_message *reply, Status *s) {
        int r;

        r = sd_bus_message_enter_container(reply, 'v', "a(sttbttt)");
        if (r < 0)
                return r;
        r = sd_bus_message_enter_container(reply, 'a', "(sttbttt)");
        if (r < 0)
                return r;
        for (;;) {
                const char *target;
                OutcomeLeg l = {0}, *legs;
                int woken;

                r = sd_bus_message_read(reply, "(sttbttt)", &target, &l.asked_usec, &l.slept_usec, &woken,
                                        &l.alarm, &l.started_realtime_usec, &l.resumed_realtime_usec);
                if (r <= 0)
                        break;
                l.target = sleep_target_from_string(target);
                l.woken_by_alarm = woken;
                legs = reallocarray(s->last_legs, s->n_last_legs + 1, sizeof *legs);
                if (!legs)
                        return -ENOMEM;
                legs[s->n_last_legs++] = l;
                s->last_legs = legs;
        }
        if (r < 0)
                return r;
        r = sd_bus_message_exit_container(reply);
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(reply);
}

/* One GetAll round trip; properties this version does not know are
 * skipped, so a newer hostpmd still works with an older CLI. */
int status_read(sd_bus *bus, Status *ret, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(status_done) Status s = {0};
        const struct {
                const char *name;
                char type;
                void *p;
        } fields[] = {
                { "PendingId",           's', &s.pending_id },
                { "PendingState",        's', &s.pending_state },
                { "PendingTarget",       's', &s.pending_target },
                { "PendingSuspendUSec",  't', &s.pending_suspend_usec },
                { "PendingWakeUSec",     't', &s.pending_wake_usec },
                { "PendingDurationUSec", 't', &s.pending_duration_usec },
                { "PendingRequesterUID", 'u', &s.pending_requester_uid },
                { "LastId",              's', &s.last_id },
                { "LastTarget",          's', &s.last_target },
                { "LastResult",          's', &s.last_result },
                { "LastError",           's', &s.last_error },
                { "LastAskedUSec",       't', &s.last_asked_usec },
                { "LastSleptUSec",       't', &s.last_slept_usec },
                { "LastSuspendUSec",     't', &s.last_suspend_usec },
                { "LastResumeUSec",      't', &s.last_resume_usec },
                { "LastWokenByAlarm",    'b', &s.last_woken_by_alarm },
                { "LastLegs",            'L', NULL },  /* read_legs() */
                { "StayAwakeId",         's', &s.stay_awake_id },
                { "StayAwakeUntilUSec",  't', &s.stay_awake_until_usec },
        };
        int r;

        r = sd_bus_call_method(bus, HOSTPM_BUS_NAME, HOSTPM_OBJECT_PATH, "org.freedesktop.DBus.Properties",
                               "GetAll", error, &reply, "s", HOSTPM_MANAGER_IFACE);
        if (r < 0)
                return r;
        r = sd_bus_message_enter_container(reply, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(reply, 'e', "sv")) > 0) {
                const char *name;
                bool used = false;

                r = sd_bus_message_read(reply, "s", &name);
                if (r < 0)
                        return r;
                for (size_t i = 0; i < ELEMENTSOF(fields) && !used; i++) {
                        char sig[2] = { fields[i].type, 0 };

                        if (!streq(name, fields[i].name))
                                continue;
                        used = true;
                        if (fields[i].type == 'L') {
                                r = read_legs(reply, &s);
                                if (r < 0)
                                        return r;
                                continue;
                        }
                        if (fields[i].type == 's') {
                                const char *v;

                                r = sd_bus_message_read(reply, "v", "s", &v);
                                if (r >= 0 && !(*(char **) fields[i].p = strdup(v)))
                                        return -ENOMEM;
                        } else
                                r = sd_bus_message_read(reply, "v", sig, fields[i].p);
                        if (r < 0)
                                return r;
                }
                if (!used) {
                        r = sd_bus_message_skip(reply, "v");
                        if (r < 0)
                                return r;
                }
                r = sd_bus_message_exit_container(reply);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;

        *ret = s;
        s = (Status) {0};
        return 0;
}

static const char *str(const char *s) {
        return s ? s : "";
}

/* A copy of s whose strings are escaped for a terminal (escape.h): other
 * users' words (an inhibitor's who and why, in the error) and whatever
 * the bus delivered. */
static int status_escaped(const Status *s, Status *ret) {
        char **fields[] = { &ret->pending_id, &ret->pending_state, &ret->pending_target, &ret->last_id,
                            &ret->last_target, &ret->last_result, &ret->last_error, &ret->stay_awake_id };
        int r = 0;

        *ret = *s;
        /* the legs hold no text, and stay the original's */
        ret->last_legs = NULL;
        ret->n_last_legs = 0;
        for (size_t i = 0; i < ELEMENTSOF(fields); i++) {
                *fields[i] = escape_untrusted(*fields[i]);
                if (!*fields[i])
                        r = -ENOMEM;
        }
        return r;
}

void status_print_text(const Status *unescaped) {
        char a[WALL_TIME_MAX_STRING], b[WALL_TIME_MAX_STRING];
        char d1[DURATION_MAX_STRING], d2[DURATION_MAX_STRING];
        _cleanup_(status_done) Status escaped = {0};
        const Status *s = &escaped;

        if (status_escaped(unescaped, &escaped) < 0) {
                printf("(out of memory)\n");
                return;
        }

        if (isempty(s->pending_state))
                printf("Pending: none\n");
        else if (streq(s->pending_state, "suspending"))
                printf("Pending: request %s, suspending to %s now; wakes at about %s\n",
                       str(s->pending_id), str(s->pending_target),
                       s->pending_wake_usec ? format_wall_time(b, sizeof b, s->pending_wake_usec) : "?");
        else
                printf("Pending: request %s, suspend to %s at %s, wake at %s (UID %" PRIu32 ")\n",
                       str(s->pending_id), str(s->pending_target),
                       format_wall_time(a, sizeof a, s->pending_suspend_usec) ? a : "?",
                       format_wall_time(b, sizeof b, s->pending_wake_usec) ? b : "?",
                       s->pending_requester_uid);

        if (s->stay_awake_until_usec > 0)
                printf("Awake:   held until %s after the resume of request %s (StayAwakeAfterWake=: a logind "
                       "block inhibitor for sleep)\n",
                       format_wall_time(a, sizeof a, s->stay_awake_until_usec) ? a : "?", str(s->stay_awake_id));

        if (isempty(s->last_result)) {
                printf("Last:    none recorded\n");
                return;
        }
        printf("Last:    request %s to %s: %s", str(s->last_id), str(s->last_target), s->last_result);
        if (streq(s->last_result, "resumed")) {
                char window[DURATION_MAX_STRING + 32] = "", d3[DURATION_MAX_STRING];

                /* the wall-clock window also counts entering and leaving the sleep */
                if (s->last_resume_usec > s->last_suspend_usec && s->last_suspend_usec > 0)
                        snprintf(window, sizeof window, " (suspend to resume: %s)",
                                 format_duration(d3, sizeof d3, (s->last_resume_usec - s->last_suspend_usec) /
                                                                        USEC_PER_MSEC * USEC_PER_MSEC));
                printf("; asked %s, slept %s%s, %s", format_duration(d1, sizeof d1, s->last_asked_usec),
                       format_duration(d2, sizeof d2, s->last_slept_usec / USEC_PER_MSEC * USEC_PER_MSEC), window,
                       s->last_woken_by_alarm ? "woken by the RTC alarm" : "NOT woken by the RTC alarm");
        }
        if (!isempty(s->last_error))
                printf("; %s", s->last_error);
        printf("\n");
        if (s->last_resume_usec > 0)
                printf("         resumed at %s\n", format_wall_time(a, sizeof a, s->last_resume_usec) ? a : "?");
        status_print_legs(unescaped->last_legs, unescaped->n_last_legs);
}

void status_print_legs(const OutcomeLeg *legs, size_t n) {
        char d1[DURATION_MAX_STRING], d2[DURATION_MAX_STRING];

        if (n < 2)
                return;
        for (size_t i = 0; i < n; i++) {
                const char *target = sleep_target_to_string(legs[i].target);

                printf("         leg %zu of %zu: %s, asked %s, slept %s, %s\n", i + 1, n, target ? target : "?",
                       format_duration(d1, sizeof d1, legs[i].asked_usec),
                       format_duration(d2, sizeof d2, legs[i].slept_usec / USEC_PER_MSEC * USEC_PER_MSEC),
                       legs[i].woken_by_alarm ? "woken by the RTC alarm" : "NOT woken by the RTC alarm");
        }
}

json_object *status_legs_to_json(const OutcomeLeg *legs, size_t n) {
        _cleanup_(json_object_putp) json_object *a = json_object_new_array();

        for (size_t i = 0; a && i < n; i++) {
                const char *target = sleep_target_to_string(legs[i].target);
                json_object *l = json_object_new_object();

                if (!l || json_object_array_add(a, l) < 0) {
                        json_object_put(l);
                        return NULL;
                }
                if (json_add(l, "target", json_object_new_string(target ? target : "")) < 0 ||
                    json_add(l, "asked_usec", json_object_new_uint64(legs[i].asked_usec)) < 0 ||
                    json_add(l, "slept_usec", json_object_new_uint64(legs[i].slept_usec)) < 0 ||
                    json_add(l, "woken_by_alarm", json_object_new_boolean(legs[i].woken_by_alarm)) < 0 ||
                    json_add(l, "alarm", json_object_new_uint64(legs[i].alarm)) < 0 ||
                    json_add(l, "suspend_usec", json_object_new_uint64(legs[i].started_realtime_usec)) < 0 ||
                    json_add(l, "resume_usec", json_object_new_uint64(legs[i].resumed_realtime_usec)) < 0)
                        return NULL;
        }
        return TAKE_PTR(a);
}

static json_object *pending_to_json(const Status *s) {
        _cleanup_(json_object_putp) json_object *p = json_object_new_object();

        if (!p ||
            json_add(p, "id", json_object_new_string(str(s->pending_id))) < 0 ||
            json_add(p, "state", json_object_new_string(str(s->pending_state))) < 0 ||
            json_add(p, "target", json_object_new_string(str(s->pending_target))) < 0 ||
            json_add(p, "suspend_usec", json_object_new_uint64(s->pending_suspend_usec)) < 0 ||
            json_add(p, "wake_usec", json_object_new_uint64(s->pending_wake_usec)) < 0 ||
            json_add(p, "duration_usec", json_object_new_uint64(s->pending_duration_usec)) < 0)
                return NULL;
        return TAKE_PTR(p);
}

static json_object *last_to_json(const Status *s) {
        _cleanup_(json_object_putp) json_object *l = json_object_new_object();

        if (!l ||
            json_add(l, "id", json_object_new_string(str(s->last_id))) < 0 ||
            json_add(l, "target", json_object_new_string(str(s->last_target))) < 0 ||
            json_add(l, "result", json_object_new_string(str(s->last_result))) < 0 ||
            json_add(l, "error", json_object_new_string(str(s->last_error))) < 0 ||
            json_add(l, "asked_usec", json_object_new_uint64(s->last_asked_usec)) < 0 ||
            json_add(l, "slept_usec", json_object_new_uint64(s->last_slept_usec)) < 0 ||
            json_add(l, "woken_by_alarm", json_object_new_boolean(s->last_woken_by_alarm)) < 0 ||
            json_add(l, "suspend_usec", json_object_new_uint64(s->last_suspend_usec)) < 0 ||
            json_add(l, "resume_usec", json_object_new_uint64(s->last_resume_usec)) < 0 ||
            /* none before the first resume, or in an older hostpm's record */
            (s->n_last_legs > 0 && json_add(l, "legs", status_legs_to_json(s->last_legs, s->n_last_legs)) < 0))
                return NULL;
        return TAKE_PTR(l);
}

static json_object *stay_awake_to_json(const Status *s) {
        _cleanup_(json_object_putp) json_object *a = json_object_new_object();

        if (!a ||
            json_add(a, "id", json_object_new_string(str(s->stay_awake_id))) < 0 ||
            json_add(a, "until_usec", json_object_new_uint64(s->stay_awake_until_usec)) < 0)
                return NULL;
        return TAKE_PTR(a);
}

int status_print_json(const Status *s) {
        _cleanup_(json_object_putp) json_object *o = json_object_new_object();
        bool pending = !isempty(s->pending_state), last = !isempty(s->last_result);
        bool awake = s->stay_awake_until_usec > 0;

        /* null, not an object of empty strings, for what is not there */
        if (!o ||
            (pending ? json_add(o, "pending", pending_to_json(s)) : json_add_null(o, "pending")) < 0 ||
            (last ? json_add(o, "last", last_to_json(s)) : json_add_null(o, "last")) < 0 ||
            (awake ? json_add(o, "stay_awake", stay_awake_to_json(s)) : json_add_null(o, "stay_awake")) < 0)
                return -ENOMEM;
        return json_print(o, JSON_FORMAT_PRETTY);
}
