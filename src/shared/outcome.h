/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The record of the last suspend request, which hostpm-sleep keeps in
 * <state_dir>/last-outcome.json and hostpmd reads for Status. Written
 * atomically (temp file, fsync, rename), so a reader sees the old record or
 * the new one, and a "suspending" record survives a host that never comes
 * back. */

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "sleep-target.h"

#define OUTCOME_FILE_NAME "last-outcome.json"

typedef enum OutcomeResult {
        OUTCOME_SUSPENDING,  /* written right before logind is asked; stays if we never resume */
        OUTCOME_RESUMED,
        OUTCOME_FAILED,
        OUTCOME_REFUSED,     /* an inhibitor blocks sleep */
        OUTCOME_CANCELLED,   /* stopped before logind was asked */
        _OUTCOME_RESULT_MAX,
        _OUTCOME_RESULT_INVALID = -EINVAL,
} OutcomeResult;

/* One leg of a sleep slept in legs (sleep-legs.h); a sleep in one leg
 * has one too. */
typedef struct OutcomeLeg {
        SleepTarget target;              /* mem, or disk for the second part of suspend-then-hibernate */
        uint64_t asked_usec;
        uint64_t slept_usec;
        bool woken_by_alarm;
        uint64_t alarm;                  /* seconds of the RTC's clock */
        uint64_t started_realtime_usec;
        uint64_t resumed_realtime_usec;
} OutcomeLeg;

typedef struct Outcome {
        char *id;                        /* the request's id */
        char *target;                    /* "mem", "disk", ... */
        OutcomeResult result;
        char *error;                     /* what went wrong; NULL or "" when nothing did */
        uint64_t asked_usec;             /* asked time asleep */
        uint64_t slept_usec;             /* time suspended between PrepareForSleep(true) and (false) */
        bool woken_by_alarm;             /* the RTC had reached the alarm at resume */
        uint64_t alarm;                  /* the alarm, seconds of the RTC's clock; 0 if none was set */
        uint64_t started_realtime_usec;  /* PrepareForSleep(true) seen; before that, when logind was asked */
        uint64_t resumed_realtime_usec;  /* PrepareForSleep(false) seen; 0 until then */
        uid_t requester_uid;
        pid_t requester_pid;
        OutcomeLeg *legs;                /* the legs slept so far, in order; none in a record of
                                          * before legs, or before the first resume */
        size_t n_legs;
} Outcome;

const char *outcome_result_to_string(OutcomeResult r);
OutcomeResult outcome_result_from_string(const char *s);

/* $STATE_DIRECTORY (set by systemd from StateDirectory=hostpm; its first
 * entry), else /var/lib/hostpm (in a test build: else its seam,
 * test-seam.h). Read once. */
const char *outcome_state_dir(void);

/* Creates state_dir if missing (not its parents). NULL strings are written
 * as "". */
int outcome_write(const char *state_dir, const Outcome *o);

/* Fills *ret (free with outcome_done()); its strings are never NULL.
 * -ENOENT if there is no record yet, -EBADMSG if it is not one. */
int outcome_read(const char *state_dir, Outcome *ret);

void outcome_done(Outcome *o);

/* Appends a copy of *leg, and sums it into slept_usec; -ENOMEM. */
int outcome_add_leg(Outcome *o, const OutcomeLeg *leg);
