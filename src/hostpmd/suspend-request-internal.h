/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What suspend-request.c (scheduling, and what every request shares) and
 * cancel-request.c have in common: one call between its arrival and its
 * reply. Not for the rest of hostpmd. */

#include <systemd/sd-bus.h>
#include <systemd/sd-id128.h>

#include "journal-event.h"
#include "pending-check.h"
#include "polkit.h"
#include "suspend-plan.h"
#include "suspend-request.h"

/* What a caller who is not authorized may have in flight: past either
 * cap, a call is answered at once with TooManyRequests. Root is not
 * counted (it needs no authorization, and cannot be locked out). */
typedef struct NextTimerWait NextTimerWait;

#define REQUESTS_PER_UID_MAX 4
#define REQUESTS_MAX         64

/* The longest request id a caller may send: hostpmd's are 32 hexadecimal
 * digits; anything longer is refused before it reaches a message. */
#define REQUEST_ID_ARGUMENT_MAX 64

typedef enum RequestKind {
        REQUEST_SCHEDULE,
        REQUEST_CANCEL,
} RequestKind;

struct SuspendRequest {
        Requests *requests;
        sd_bus_message *message;
        RequestKind kind;
        SuspendPlan plan;
        uid_t uid;
        pid_t pid;
        char id[SD_ID128_STRING_MAX];     /* the request this call is about, once it is known */
        char new_id[SD_ID128_STRING_MAX]; /* schedule: the id it gets if scheduled (polkit sees it) */
        char want_id[SD_ID128_STRING_MAX];/* cancel: the id asked for; empty for CancelSuspend() */
        uid_t pending_requester_uid;      /* cancel: who scheduled the request */
        uint64_t pending_wake_usec;       /* cancel: when it would wake */
        bool authorized;                  /* polkit said yes: no longer counted against the caller */
        PendingCheck *pending_check;
        CapabilitiesWaiter *capabilities_waiter;
        PolkitCheck *polkit;
        bool inhibitor_override_authorized;
        NextTimerWait *next_timer;        /* ScheduleSuspendUntilNextTimer() (next-timer.c); else NULL */
        SuspendRequest *next, *prev;
};

/* Admits a call: TooManyRequests (in *error, journaled, < 0) past a cap,
 * else a new request in q's list. */
int request_new(Requests *q, sd_bus_message *message, RequestKind kind, SuspendRequest **ret, sd_bus_error *error);
SuspendRequest *request_free(SuspendRequest *r);

/* Answers with an error, journals the refusal (denied: by polkit) within
 * the caller's log budget unless authorized, and frees the request. */
void request_fail(SuspendRequest *r, const sd_bus_error *error, bool denied);
void request_failf(SuspendRequest *r, const char *name, const char *format, ...) _printf_(3, 4);

/* The last step before acting: polkit, with the request's details. */
void request_authorize(SuspendRequest *r);

EventRequest event_request(const SuspendRequest *r);

/* A refusal before a request exists (bad arguments, a cap): journaled
 * within the caller's budget; returns the error's negative errno. */
int refuse_early(Requests *q, sd_bus_message *message, const sd_bus_error *error, const char *target,
                 uint64_t asked_usec);

/* Admits a schedule with its checked plan and starts its checks; takes
 * next_timer (NULL but for ScheduleSuspendUntilNextTimer()). */
int schedule_common(sd_bus_message *message, Requests *q, const SuspendPlan *plan, NextTimerWait *next_timer,
                    sd_bus_error *error);

/* Defined in cancel-request.c, called once polkit has said yes. */
void cancel_act(SuspendRequest *r);
