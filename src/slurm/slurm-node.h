/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Telling Slurm about a node: `scontrol update NodeName=… State=DOWN
 * Reason="hostpm: …"`, which SlurmUser may do. slurm.conf(5) asks this of a
 * ResumeProgram that cannot bring a node back, and it is how a suspend that
 * hostpm refused reaches Slurm: a node Slurm believes asleep while it is not
 * would otherwise be "resumed" and marked DOWN only at ResumeTimeout. */

#define SLURM_REASON_MAX 200

/* The reason as Slurm stores it: "hostpm: " + why, printable ASCII, no
 * quotes, at most SLURM_REASON_MAX bytes. Never NULL unless out of memory. */
char *slurm_reason(const char *why);

/* 0 once scontrol accepted it; otherwise < 0 and *ret_error (free it) says
 * what scontrol said. */
int slurm_set_node_down(const char *node, const char *why, char **ret_error);
