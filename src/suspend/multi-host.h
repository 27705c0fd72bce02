/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Many hosts at once: one forked worker per host runs the same verb a
 * single -H runs, with its output (JSON) and messages captured; at most
 * `parallel` run at a time. The parent prints one row (or one JSON line)
 * per host, in the order the hosts were given, and an exit status for all. */

#include <stdint.h>

#include "host-targets.h"
#include "verbs.h"

#define MULTI_HOST_PARALLEL_DEFAULT 32U
#define MULTI_HOST_PARALLEL_MAX     1024U

/* Documented in --help: not every host succeeded, and their statuses differ. */
#define EXIT_HOSTS_DIFFER 10

typedef enum MultiHostVerb {
        MULTI_HOST_SCHEDULE,
        MULTI_HOST_CANCEL,
        MULTI_HOST_STATUS,
        MULTI_HOST_CAPABILITIES,
} MultiHostVerb;

/* Runs in the worker, with stdout and stderr captured: the exit status of
 * the verb on this host, its output printed as JSON. */
typedef int (*multi_host_job_t)(const char *host, void *userdata);

typedef struct HostResult {
        const char *host;
        int exit_status;
        int signal;              /* the worker died of it (then exit_status is EXIT_FAILED) */
        char *out, *err;         /* what it printed, NUL-terminated */
        size_t out_size, err_size;
        bool truncated;
        uint64_t elapsed_usec;
} HostResult;

int multi_host_run(const HostTargets *targets, unsigned parallel, MultiHostVerb verb, OutputFormat output,
                   multi_host_job_t job, void *userdata);

/* multi-host-output.c: the rows, and the status for all */
int multi_host_print(const HostResult *results, size_t n, MultiHostVerb verb, OutputFormat output);
int multi_host_exit_status(const HostResult *results, size_t n);
