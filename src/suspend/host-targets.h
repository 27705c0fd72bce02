/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What -H names: one host as before ([USER@]HOST[:PORT], handed to sd-bus
 * untouched), or several — -H repeated, or an argument in Slurm's hostlist
 * syntax, [USER@]node[01-04,07],gpu1 — expanded into a list of hosts, each
 * reached over the same SSH transport. */

#include <stdbool.h>
#include <stddef.h>

typedef struct HostTargets {
        char **hosts;       /* "[USER@]NAME", NULL-terminated */
        size_t n;
        bool list;          /* a list was asked for: per-host output, even of one host */
} HostTargets;

void host_targets_done(HostTargets *t);

/* Whether one -H argument is in list syntax (a comma, a bracket after an
 * optional USER@, white space) rather than one host for sd-bus. */
bool host_argument_is_list(const char *arg);

/* Expands the -H arguments in order. Slurm's expander (scontrol show
 * hostnames) is used where it works; the project's own otherwise, and as
 * the syntax check before either. Malformed lists and duplicate hosts are
 * refused with a message on stderr (-EINVAL) before anything is sent. */
int host_targets_expand(char *const *args, size_t n_args, HostTargets *ret);
