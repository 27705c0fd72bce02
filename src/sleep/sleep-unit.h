/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Evidence of a hibernation (disk, hybrid, suspend-then-hibernate) that
 * the clocks cannot give: making the snapshot alone moves CLOCK_BOOTTIME
 * past CLOCK_MONOTONIC by about a second, whether or not the image is
 * then written, and hibernation counts in no suspend_stats. What does
 * tell is the service logind's sleep target runs (systemd-hibernate.service
 * and its kin): systemd-sleep writes /sys/power/state, which returns only
 * after a resume from the image, or with the kernel's error, and the
 * service then ends with that result. PID 1 says so in method replies,
 * which come from the destination itself: no one else can forge them. */

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

#include "sleep-decision.h"
#include "sleep-target.h"

typedef struct SleepUnitRun {
        bool read;                 /* PID 1 answered for the unit */
        char active_state[32];     /* "inactive", "failed", "activating", ... */
        char result[32];           /* "success", "exit-code", ... */
        uint64_t start_monotonic;  /* InactiveExitTimestampMonotonic, usec: its last start; 0: never */
        int32_t exit_status;       /* ExecMainStatus */
} SleepUnitRun;

/* "systemd-hibernate.service" and its kin; NULL for mem */
const char *sleep_target_to_sleep_unit(SleepTarget t);

/* Keeps the service loaded, with its state, for as long as this bus
 * connection lasts (PID 1's RefUnit): a unit that ended well and that
 * nothing references is unloaded at once, and would then read as never
 * started. Call before logind is asked. */
int sleep_unit_ref(sd_bus *bus, SleepTarget t);

/* Asks PID 1 about the target's service; ret->read false if it could not. */
int sleep_unit_read(sd_bus *bus, SleepTarget t, SleepUnitRun *ret);

/* The evidence for an image target once logind said PrepareForSleep(false):
 * the service must have run since the commit (committed_mono_usec, CLOCK_
 * MONOTONIC) and ended in success, and then the clocks' evidence decides;
 * ended otherwise, the hibernation failed (ret_failure says how, for the
 * record); not run yet, still running or not known: NONE (the wait goes on). */
ResumeEvidence image_resume_evidence(SleepTarget t, const SleepUnitRun *u, uint64_t committed_mono_usec,
                                     ResumeEvidence clocks, char **ret_failure);
