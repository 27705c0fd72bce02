/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* --wait: follow one request until the host is back. hostpmd's
 * SuspendFinished signal is the fast path; polling its Last* properties
 * covers a missed signal, a restarted hostpmd and a connection (over SSH)
 * that did not survive the sleep. */

#include <systemd/sd-bus.h>

#include "macro.h"
#include "verbs.h"

typedef struct ResumeWatch ResumeWatch;

int resume_watch_new(sd_bus *bus, ResumeWatch **ret);
ResumeWatch *resume_watch_free(ResumeWatch *w);
DEFINE_TRIVIAL_CLEANUP_FUNC(ResumeWatch *, resume_watch_free)

/* Returns the exit status: EXIT_OK when the host resumed woken by its
 * alarm, EXIT_SLEEP_FAILED otherwise. */
int resume_watch_wait(ResumeWatch *w, const char *host, const char *id, uint64_t wake_usec, OutputFormat output);
