/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* hostpmd's status properties: the pending suspend and the last outcome. */

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

#include "json-util.h"
#include "outcome.h"

typedef struct Status {
        char *pending_id, *pending_state, *pending_target;
        uint64_t pending_suspend_usec, pending_wake_usec, pending_duration_usec;
        uint32_t pending_requester_uid;

        char *last_id, *last_target, *last_result, *last_error;
        uint64_t last_asked_usec, last_slept_usec, last_suspend_usec, last_resume_usec;
        int last_woken_by_alarm;
        OutcomeLeg *last_legs;          /* LastLegs: a sleep in legs (one leg: one entry) */
        size_t n_last_legs;

        char *stay_awake_id;            /* StayAwakeAfterWake=: the inhibitor held after a resume */
        uint64_t stay_awake_until_usec; /* 0: none held */
} Status;

int status_read(sd_bus *bus, Status *ret, sd_bus_error *error);
void status_done(Status *s);
void status_print_text(const Status *s);
/* One line per leg, indented, when there was more than one. */
void status_print_legs(const OutcomeLeg *legs, size_t n);
/* The legs as a JSON array, NULL when out of memory. */
json_object *status_legs_to_json(const OutcomeLeg *legs, size_t n);
/* -ENOMEM, -EIO: nothing or not all of it was written */
int status_print_json(const Status *s);
