/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* hostpm-slurm.conf: how Slurm's power programs put nodes to sleep and wake
 * them (hostpm-slurm(8)). One file, read with inih; unknown sections and
 * keys are errors that name file, line and what is accepted. */

#include <stdint.h>

#include "sleep-target.h"

#define SLURM_CONFIG_FILE_NAME "hostpm-slurm.conf"

typedef struct SlurmConfig {
        /* [Suspend] */
        uint64_t maximum_sleep_usec;  /* MaximumSleep=: the RTC safety alarm */
        SleepTarget target;           /* Target= */
        uint64_t delay_usec;          /* Delay=: 0 is each node's own Delay= */
        unsigned parallel;            /* Parallel= */
        char *user;                   /* User=: NULL is the user running us */

        /* [Wake] */
        char *broadcast;              /* Broadcast=: an IPv4 address */
        char *interface;              /* Interface=: send out of this one; NULL: by the routing table */
        uint16_t port;                /* Port= */
        unsigned repeat;              /* Repeat=: packets per node */

        /* [State] */
        char *state_directory;        /* Directory= */
} SlurmConfig;

void slurm_config_init(SlurmConfig *c);
void slurm_config_done(SlurmConfig *c);

/* Reads path; a missing file leaves the defaults. On a bad file returns
 * < 0 and sets *ret_message (free it) to "path:line: what; expected …". */
int slurm_config_load(const char *path, SlurmConfig *c, char **ret_message);

/* SYSCONFDIR/hostpm/hostpm-slurm.conf */
const char *slurm_config_path(void);
