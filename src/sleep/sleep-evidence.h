/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Reads what the kernel shows about sleeping (see SleepEvidence in
 * sleep-decision.h): the clocks, and <sysfs>/power/suspend_stats, which
 * kernels from 5.4 on keep (the counts of suspends that succeeded and
 * failed; hibernation counts in neither). */

#include "sleep-decision.h"

/* Never fails: without suspend_stats (an older kernel, or a file that does
 * not read as a number), have_stats is false and the clocks must do. */
void sleep_evidence_read(const char *sysfs_root, SleepEvidence *ret);
