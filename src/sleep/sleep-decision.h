/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* hostpm-sleep's judgements, as plain functions with no bus in sight so the
 * unit tests can hold them to their word: does an inhibitor block us, how
 * long to wait for the resume, did the alarm wake us, did logind really
 * say no, and did the host really sleep. */

#include <stdbool.h>
#include <stdint.h>

#include "sleep-target.h"

/* One entry of logind's ListInhibitors, a(ssssuu). */
typedef struct Inhibitor {
        const char *what;  /* colon-separated: "sleep:idle" */
        const char *who;
        const char *why;
        const char *mode;  /* "block" or "delay" */
        uint32_t uid;
        uint32_t pid;
} Inhibitor;

/* A "block" inhibitor whose what lists "sleep". Delay inhibitors only make
 * logind wait a moment, so they never stop us. */
bool inhibitor_blocks_sleep(const Inhibitor *i);

/* "sleep is blocked by <who> (uid U, pid P): <why>", for the outcome. */
int inhibitor_refusal_message(const Inhibitor *i, char **ret);

/* --wake-at (CLOCK_REALTIME seconds) as whole seconds ahead of now_usec
 * (CLOCK_REALTIME microseconds), rounded to the nearest: the alarm is armed
 * just after the RTC's second turns over, so it fires a whole number of
 * seconds after now, and the nearest one is the wake time asked. -ETIME if
 * that is less than half a second away, -ERANGE if it is further ahead
 * than SLEEP_SECONDS_MAX. */
int seconds_until(uint64_t wake_at, uint64_t now_usec, uint64_t *ret);

/* How long, in time the host is awake, to wait after logind accepted for
 * the resume: the asked time plus max(60 s, 10 %). */
uint64_t resume_wait_usec(uint64_t seconds);

/* The RTC's clock at resume says the alarm was what woke the host: not more
 * than 2 s before the alarm, and not later than the target's resume takes
 * (30 s from RAM; 300 s when a hibernation image may have to be read back). */
bool alarm_reached_at_resume(SleepTarget target, uint64_t rtc_now, uint64_t alarm);

/* An error reply to Suspend* that means logind did not act. NoReply (our
 * own timeout, or the connection dropped) is not one: logind may have
 * accepted, so the alarm must stay. */
bool logind_error_is_refusal(const char *error_name);

/* The interval between the two PrepareForSleep signals that the host spent
 * suspended: CLOCK_BOOTTIME counts it, CLOCK_MONOTONIC does not. */
uint64_t time_suspended_usec(uint64_t boot_before, uint64_t mono_before, uint64_t boot_after, uint64_t mono_after);

/* What the kernel shows about sleeping, at one moment (sleep-evidence.c
 * reads it). CLOCK_BOOTTIME - CLOCK_MONOTONIC, the time spent suspended
 * since boot, grows only when the kernel injects the time of a sleep at
 * resume; reading MONOTONIC right before and right after BOOTTIME bounds
 * it from both sides, so a delay between the reads (preemption) can never
 * pass for a sleep. */
typedef struct SleepEvidence {
        uint64_t boot_usec;          /* CLOCK_BOOTTIME */
        uint64_t mono_before_usec;   /* CLOCK_MONOTONIC just before it */
        uint64_t mono_after_usec;    /* and just after */
        bool have_clocks;            /* all three were read */
        bool have_stats;             /* <sysfs>/power/suspend_stats/{success,fail} were read */
        int64_t success, fail;       /* the kernel prints them as int */
} SleepEvidence;

typedef enum ResumeEvidence {
        RESUME_EVIDENCE_NONE,            /* nothing but logind's word says the host slept */
        RESUME_EVIDENCE_SLEPT,           /* the kernel was suspended in between */
        RESUME_EVIDENCE_SUSPEND_FAILED,  /* the kernel tried and failed, and nothing slept */
} ResumeEvidence;

/* The least time the host can have spent suspended between the two
 * readings. */
uint64_t sleep_evidence_suspended_usec(const SleepEvidence *before, const SleepEvidence *after);

/* Whether the kernel was suspended between before (taken before logind
 * was asked) and after (at logind's PrepareForSleep(false)): time
 * suspended grew by at least 1 ms, or suspend_stats/success moved. Else,
 * if suspend_stats/fail moved, the kernel's suspend failed. */
ResumeEvidence resume_evidence(const SleepEvidence *before, const SleepEvidence *after);
