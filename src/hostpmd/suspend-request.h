/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* ScheduleSuspend(), ScheduleSuspendUntil(), CancelSuspend() and
 * CancelSuspendById(): each call is checked (arguments, the caller's share,
 * what is pending, the host's capabilities, then polkit) before anything
 * is done, and answered only once systemd holds the result.
 *
 * Whoever owns the bus (manager.c) hands the requests what they may use in
 * a Requests, registers the methods with that Requests as their userdata,
 * and hears back through RequestOps. Requests never see their owner. */

#include <systemd/sd-bus.h>

#include "capabilities.h"
#include "config.h"
#include "host-capabilities.h"
#include "log-limit.h"
#include "pending-cache.h"

typedef struct SuspendRequest SuspendRequest;

typedef struct RequestOps {
        /* A request was scheduled: to announce (SuspendScheduled) and follow. */
        void (*scheduled)(void *owner, const char *id, SleepTarget target, uint64_t suspend_usec,
                          uint64_t wake_usec);
        /* The pending request was cancelled: to announce (SuspendCancelled). */
        void (*cancelled)(void *owner, const char *id);
} RequestOps;

typedef struct Requests {
        /* handed over by the owner, which outlives every request */
        sd_bus *bus;
        const Config *config;
        HostCapabilities *capabilities;
        PendingCache *pending;
        const RequestOps *ops;
        void *owner;

        /* kept here */
        SuspendRequest *list;     /* between arrival and reply */
        LogLimit log_limit;       /* what refused callers may make us journal, per UID */
} Requests;

/* Drops every call still in flight, unanswered (hostpmd exiting). */
void requests_done(Requests *q);
bool requests_busy(const Requests *q);

int method_schedule_suspend(sd_bus_message *message, void *userdata, sd_bus_error *error);
int method_schedule_suspend_until(sd_bus_message *message, void *userdata, sd_bus_error *error);
int method_cancel_suspend(sd_bus_message *message, void *userdata, sd_bus_error *error);
int method_cancel_suspend_by_id(sd_bus_message *message, void *userdata, sd_bus_error *error);

/* Whether the host can carry a suspend to target out and wake from it:
 * 0, or < 0 with *error saying why not and what to do. */
int schedule_check_capabilities(const Capabilities *c, SleepTarget target, sd_bus_error *error);
