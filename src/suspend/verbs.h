/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What hostpm-suspend does once its command line is understood: one
 * function per verb, each returning the process's exit status. */

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

/* Documented in --help and hostpm-suspend(1); scripts rely on them. */
enum {
        EXIT_OK = 0,
        EXIT_FAILED = 1,
        EXIT_USAGE = 2,
        EXIT_CAPABILITIES_UNKNOWN = 3,
        EXIT_NOT_AUTHORIZED = 4,
        EXIT_BUSY = 5,
        EXIT_REFUSED = 6,
        EXIT_NOTHING_PENDING = 7,
        EXIT_TOO_LATE = 8,
        EXIT_SLEEP_FAILED = 9,
};

/* "ok", "busy", …: the status as per-host lines name it ("failed" for any other) */
const char *exit_status_to_string(int status);

typedef enum OutputFormat {
        OUTPUT_TEXT,
        OUTPUT_XML,
        OUTPUT_JSON,
} OutputFormat;

typedef struct ScheduleArgs {
        const char *target;
        uint64_t duration_usec;   /* or, with until: */
        bool until;
        uint64_t until_usec;
        bool next_timer;          /* or the next timer, whichever comes first (either may be unset) */
        uint64_t delay_usec;      /* 0: hostpmd's default */
        uint64_t flags;
        bool wait;
        const char *host;         /* for reconnecting while waiting */
} ScheduleArgs;

int verb_capabilities(sd_bus *bus, OutputFormat output);
int verb_status(sd_bus *bus, OutputFormat output);
/* id: cancel only that request (CancelSuspendById); NULL: the pending one. */
int verb_cancel(sd_bus *bus, const char *id, OutputFormat output);
int verb_schedule(sd_bus *bus, const ScheduleArgs *args, OutputFormat output);

/* Prints a failed call's error as the CLI's message and maps its name to
 * the exit status. */
int exit_status_from_error(const sd_bus_error *error, int r, const char *what);
