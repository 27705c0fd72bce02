/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Runs a program the way the power programs must: stdin from /dev/null,
 * stdout and stderr into pipes of ours (so nothing it leaves behind holds
 * slurmscriptd's pipes), in a process group of its own that is killed
 * whole when it outlives its bound. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct ProgramResult {
        int status;      /* the exit status; 128 + N when killed by signal N */
        bool timed_out;  /* killed at the bound (status is then 128 + SIGKILL) */
        char *out, *err; /* what it printed, NUL-terminated, at most max_output bytes each */
} ProgramResult;

void program_result_done(ProgramResult *r);

/* argv[0] is looked up in PATH. < 0 only when it could not be run or
 * read at all; a program that is not found exits 127. */
int program_run(char *const *argv, uint64_t timeout_usec, size_t max_output, ProgramResult *ret);
