/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Exit when idle, as systemd's small daemons do: after timeout_usec
 * without activity, say STOPPING=1 (systemd then queues the next
 * activation instead of handing it to us), give the bus name up, and exit
 * once the bus daemon confirms and the calls it routed to us before are
 * answered. */

#include <stdbool.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "macro.h"

typedef struct IdleExit IdleExit;

typedef enum IdleExitState {
        IDLE_EXIT_RUNNING,
        IDLE_EXIT_RELEASING,   /* ReleaseName() sent, no answer yet: calls may still arrive */
        IDLE_EXIT_RELEASED,    /* the name is gone: finishing what was routed to us before */
} IdleExitState;

typedef bool (*idle_check_t)(void *userdata);

/* busy: calls in flight, always finished before the exit. stay (may be
 * NULL): a reason to keep the name although no call is in flight; asked
 * only when the timer runs out. */
int idle_exit_new(sd_event *event, sd_bus *bus, const char *name, uint64_t timeout_usec, idle_check_t busy,
                  idle_check_t stay, void *userdata, IdleExit **ret);
IdleExit *idle_exit_free(IdleExit *i);

/* Activity: the timer starts again. Nothing once the name is being given up. */
void idle_exit_touch(IdleExit *i);

IdleExitState idle_exit_state(const IdleExit *i);

DEFINE_TRIVIAL_CLEANUP_FUNC(IdleExit *, idle_exit_free)
