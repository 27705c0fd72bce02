/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* hostpm-suspend --history: hostpmd's GetHistory(), as a table or JSON
 * lines. The call itself is shared with --metrics. */

#include <stdint.h>
#include <systemd/sd-bus.h>

#include "history.h"
#include "verbs.h"

/* GetHistory(since_usec) into *ret (entries, totals, n_unreadable). */
int history_call(sd_bus *bus, uint64_t since_usec, History *ret, sd_bus_error *error);

/* --since=: a time span ago ("2h", "7d"), HH:MM[:SS] (the last time the
 * clock showed it), YYYY-MM-DD (its midnight), 'YYYY-MM-DD HH:MM[:SS]' or
 * @EPOCH, as CLOCK_REALTIME microseconds. -EINVAL if malformed, -ETIME if
 * in the future. */
int parse_since(const char *s, uint64_t now_usec, uint64_t *ret_usec);

int verb_history(sd_bus *bus, uint64_t since_usec, OutputFormat output);
