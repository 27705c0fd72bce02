/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* hostpm-sleep's command line: the options are helper-args.h's, the table
 * hostpmd writes them from; here are only --help, --version and what the
 * helper says about a bad one. */

#include "helper-args.h"

typedef HelperArgs SleepArgs;

/* Returns 1 with *ret filled to go on, 0 after --help or --version, or
 * -EINVAL after logging what is wrong and what is accepted. */
int sleep_args_parse(int argc, char *argv[], SleepArgs *ret);

static inline void sleep_args_done(SleepArgs *a) {
        helper_args_done(a);
}
