/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <systemd/sd-daemon.h>

#include "idle-exit.h"
#include "log.h"

struct IdleExit {
        sd_event *event;
        sd_bus *bus;
        char *name;
        uint64_t timeout_usec;
        idle_check_t busy, stay;
        void *userdata;

        IdleExitState state;
        sd_event_source *timer;
        sd_event_source *after;   /* after each iteration that dispatched something */
        sd_bus_slot *release;
};

IdleExit *idle_exit_free(IdleExit *i) {
        if (!i)
                return NULL;
        sd_event_source_disable_unref(i->timer);
        sd_event_source_disable_unref(i->after);
        sd_bus_slot_unref(i->release);
        sd_bus_unref(i->bus);
        sd_event_unref(i->event);
        free(i->name);
        free(i);
        return NULL;
}

IdleExitState idle_exit_state(const IdleExit *i) {
        return i->state;
}

void idle_exit_touch(IdleExit *i) {
        if (!i || i->state != IDLE_EXIT_RUNNING)
                return;
        (void) sd_event_source_set_time_relative(i->timer, i->timeout_usec);
        (void) sd_event_source_set_enabled(i->timer, SD_EVENT_ONESHOT);
}

/* Calls in flight are activity until they end, whatever they wait for;
 * once the name is gone, the last of them to end lets us exit. */
static int after_iteration(sd_event_source *s, void *userdata) {
        IdleExit *i = userdata;
        bool busy = i->busy(i->userdata);

        if (i->state == IDLE_EXIT_RUNNING && busy)
                idle_exit_touch(i);
        else if (i->state == IDLE_EXIT_RELEASED && !busy)
                return sd_event_exit(i->event, 0);
        return 0;
}

/* The bus daemon answers ReleaseName() after every call it routed to us
 * under the name, and sd-bus dispatches in order: each of those calls has
 * been started by now. Calls sent later start a new instance, which
 * systemd holds back until this one has exited. */
static int name_released(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        IdleExit *i = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(reply);

        i->release = sd_bus_slot_unref(i->release);
        i->state = IDLE_EXIT_RELEASED;
        if (e)
                log_warning("Failed to release %s, exiting anyway: %s", i->name, e->message);
        return after_iteration(NULL, i);
}

static int timer_fired(sd_event_source *s, uint64_t usec, void *userdata) {
        IdleExit *i = userdata;
        int r;

        if (i->busy(i->userdata) || (i->stay && i->stay(i->userdata))) {
                idle_exit_touch(i);
                return 0;
        }

        log_debug("Idle for %llu s, giving up %s.", (unsigned long long) (i->timeout_usec / USEC_PER_SEC), i->name);
        (void) sd_notify(false, "STOPPING=1");
        r = sd_bus_release_name_async(i->bus, &i->release, i->name, name_released, i);
        if (r < 0) {
                log_warning("Failed to release %s, exiting now: %s", i->name, STRERROR(r));
                return sd_event_exit(i->event, 0);
        }
        i->state = IDLE_EXIT_RELEASING;
        return 0;
}

int idle_exit_new(sd_event *event, sd_bus *bus, const char *name, uint64_t timeout_usec, idle_check_t busy,
                  idle_check_t stay, void *userdata, IdleExit **ret) {
        _cleanup_(idle_exit_freep) IdleExit *i = NULL;
        int r;

        i = calloc(1, sizeof *i);
        if (!i)
                return -ENOMEM;
        *i = (IdleExit) {
                .event = sd_event_ref(event),
                .bus = sd_bus_ref(bus),
                .name = strdup(name),
                .timeout_usec = timeout_usec,
                .busy = busy,
                .stay = stay,
                .userdata = userdata,
        };
        if (!i->name)
                return -ENOMEM;

        r = sd_event_add_time_relative(event, &i->timer, CLOCK_MONOTONIC, timeout_usec, USEC_PER_SEC, timer_fired, i);
        if (r < 0)
                return r;
        r = sd_event_add_post(event, &i->after, after_iteration, i);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(i);
        return 0;
}
