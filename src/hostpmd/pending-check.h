/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What is pending, asked of systemd without waiting for it: the checks
 * made for a caller who is not authorized yet (Busy before a schedule,
 * nothing or the wrong request before a cancel) must not let anyone stall
 * hostpmd's event loop on PID 1. One ListUnitsByPatterns(), then, if
 * something is pending, the helper's argv and the timer's next elapse
 * concurrently; the answer is the one schedule_read_pending() gives. */

#include <systemd/sd-bus.h>

#include "schedule.h"

typedef struct PendingCheck PendingCheck;

/* Called exactly once unless the check is freed first: r < 0 with error
 * set (systemd could not be asked), 0 nothing pending, 1 pending as *p
 * (valid during the call only). */
typedef void (*pending_check_done_t)(int r, const Pending *p, const sd_bus_error *error, void *userdata);

int pending_check_async(sd_bus *bus, pending_check_done_t done, void *userdata, PendingCheck **ret);
PendingCheck *pending_check_free(PendingCheck *c);
