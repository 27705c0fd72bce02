/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The three programs Slurm runs, as SlurmUser, with a hostlist as their
 * only argument (hostpm-slurm(8)):
 *   suspend      SuspendProgram: record how to wake each node, then suspend
 *                it through hostpm with the RTC safety alarm
 *   resume       ResumeProgram: a magic packet to each node
 *   resume-fail  ResumeFailProgram: record that a node did not come back
 * Each logs one journal entry per node. A node that cannot be handled is
 * set DOWN in Slurm with the reason; the exit status is 0 when every node
 * was handled, 1 when some was not (slurmctld only logs it). */

#include "hostlist.h"
#include "slurm-config.h"

#define EXIT_NODES_FAILED 1
#define EXIT_USAGE 2

typedef struct Context {
        SlurmConfig config;
        const char *state_dir;       /* where the node records are */
        const char *hostpm_suspend;  /* the CLI that reaches the nodes */
} Context;

/* The node names of the hostlist, as Slurm expands it; a message and < 0
 * when it is malformed. */
int context_expand(const char *hostlist, char ***ret, size_t *ret_n);

/* Tells Slurm the node is DOWN for why; returns what to log as told
 * ("DOWN" or NULL) and logs scontrol's complaint. */
const char *context_set_down(const char *node, const char *why);

int verb_suspend(Context *c, const char *hostlist);
int verb_resume(Context *c, const char *hostlist);
int verb_resume_fail(Context *c, const char *hostlist);
