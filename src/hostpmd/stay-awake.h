/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* StayAwakeAfterWake=: after each resume of a request of hostpm, hostpmd
 * holds a logind block inhibitor for sleep until that long after the
 * resume, so the jobs the host woke for run before anything suspends it
 * again. hostpmd owns it because it is the one that sees the resume
 * recorded (the helper's service ends) and stays running meanwhile; the
 * inhibitor's fd is closed when the time is up, or with hostpmd (a crash
 * releases it: logind sees the fd closed). A hostpmd started later holds
 * it for what is left of the time. */

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "config.h"
#include "idle-exit.h"
#include "pending-cache.h"

typedef struct StayAwakeHold StayAwakeHold;

typedef struct StayAwake {
        /* handed over by the owner, which outlives it */
        sd_bus *bus;
        sd_event *event;
        const Config *config;
        PendingCache *pending;    /* a helper still at work is not blocked */
        IdleExit *idle;           /* touched when the hold ends; may be NULL */

        StayAwakeHold *held;      /* the inhibitor held, or asked for; NULL if none */
} StayAwake;

/* Reads the outcome record: if it is a resume less than
 * StayAwakeAfterWake= ago that is not held already, asks logind for the
 * inhibitor. Failures are logged, never fatal. */
void stay_awake_check(StayAwake *m);

/* Holding the inhibitor, or asking for it: hostpmd is not idle. */
bool stay_awake_busy(const StayAwake *m);

/* For the properties: the request and until when (CLOCK_REALTIME), or
 * NULL and 0 when nothing is held. */
const char *stay_awake_id(const StayAwake *m);
uint64_t stay_awake_until_usec(const StayAwake *m);

/* Lets go of what is held (hostpmd exiting). */
void stay_awake_done(StayAwake *m);
