/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* ScheduleSuspend(), ScheduleSuspendUntil(), CancelSuspend() and
 * CancelSuspendById(): each call is checked (arguments, the caller's share,
 * what is pending, the host's capabilities, then polkit) before anything
 * is done, and answered only once systemd holds the result. */

#include <systemd/sd-bus.h>

typedef struct Manager Manager;
typedef struct SuspendRequest SuspendRequest;

int method_schedule_suspend(sd_bus_message *message, void *userdata, sd_bus_error *error);
int method_schedule_suspend_until(sd_bus_message *message, void *userdata, sd_bus_error *error);
int method_cancel_suspend(sd_bus_message *message, void *userdata, sd_bus_error *error);
int method_cancel_suspend_by_id(sd_bus_message *message, void *userdata, sd_bus_error *error);

/* hostpmd exiting: drop every call still in flight. */
void suspend_requests_free_all(Manager *m);
