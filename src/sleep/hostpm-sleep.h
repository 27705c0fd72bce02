/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* hostpm-sleep's one request as it goes: the Context both of its files
 * work on. hostpm-sleep.c runs the steps up to the wake alarm and ends the
 * request (record, journal, exit code); sleep-resume.c asks logind to sleep
 * and waits for the resume. A sleep longer than the wake alarm reaches is
 * slept in legs (sleep-legs.h): the steps from the alarm to the resume run
 * once per leg. Steps return 0 to go on, or the exit code to stop with. */

#include <stdbool.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "bus-name-owner.h"
#include "journal-event.h"
#include "macro.h"
#include "outcome.h"
#include "sleep-args.h"
#include "sleep-decision.h"
#include "sleep-legs.h"

typedef struct Context {
        SleepArgs args;
        EventRequest request;      /* for the journal; points into args */
        Outcome outcome;           /* the record as it stands */

        SleepChain chain;          /* the whole sleep, in legs */
        uint64_t chain_start;      /* RTC time (s) the whole sleep counts from */
        SleepTarget leg_target;    /* this leg's: what logind is asked for */
        uint64_t leg_seconds;
        OutcomeLeg leg;            /* this leg as it goes */
        bool chain_over;           /* no leg left to sleep */
        uint64_t unslept;          /* ... and how much of the asked time was left, too little to arm */
        int stop_signal;           /* received once committed: the sleep ends at the next wake */

        sd_event *event;
        sd_bus *bus;
        BusNameOwner *logind;      /* who may send PrepareForSleep */
        sd_bus_slot *prepare_for_sleep;
        sd_bus_slot *sleep_call;
        char *method;              /* "SuspendWithFlags", or the plain one after a fallback */
        bool with_flags;
        sd_event_source *resume_timeout;
        bool wait_over;            /* the wait for this leg's resume has its answer */
        int wait_error;            /* -ETIMEDOUT when the bound ran out, else 0 */

        bool alarm_set;
        bool sleep_started;        /* PrepareForSleep(true) seen */
        bool resumed;              /* PrepareForSleep(false) seen after it, and the kernel agrees */
        bool kernel_failed;        /* ... but the kernel says its suspend failed */
        char *image_failure;       /* ... or the hibernation's service failed: how */
        bool refused;              /* logind said no: the alarm goes */
        char *refusal;             /* its words, if memory allowed */
        SleepEvidence committed, at_resume;
} Context;

/* hostpm-sleep.c: the record (losing it must not stop the sleep), the
 * alarm cleared if set, and how every request ends. */
void record(Context *c, OutcomeResult result);
void clear_alarm(Context *c);
int finish(Context *c, OutcomeResult result, const char *error);
int fail(Context *c, const char *format, ...) _printf_(2, 3);

/* Before the commit no event loop runs, so a stop signal simply stays
 * pending (it is blocked); look for one at each step, and cancel. */
int pending_stop_signal(void);
int cancel(Context *c, int sig);

/* sleep-resume.c: follow logind's PrepareForSleep (before the alarm is
 * set), ask logind to sleep (the commit), and wait for the resume. */
int step_subscribe(Context *c);
int step_sleep(Context *c);
/* 0 once this leg resumed (the leg recorded, its alarm cleared), or the
 * exit code the request ended with. */
int step_wait_for_resume(Context *c);
/* Forgets what the last leg's sleep left behind, before the next. */
void leg_reset(Context *c);
