/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* hostpm-suspend's exit statuses as the words its per-host lines use;
 * hostpm-slurm reads them back from those lines. */

#include "macro.h"
#include "verbs.h"

static const char *const exit_status_words[] = {
        [EXIT_OK]                   = "ok",
        [EXIT_FAILED]               = "failed",
        [EXIT_USAGE]                = "usage",
        [EXIT_CAPABILITIES_UNKNOWN] = "capabilities-unknown",
        [EXIT_NOT_AUTHORIZED]       = "not-authorized",
        [EXIT_BUSY]                 = "busy",
        [EXIT_REFUSED]              = "refused",
        [EXIT_NOTHING_PENDING]      = "nothing-pending",
        [EXIT_TOO_LATE]             = "too-late",
        [EXIT_SLEEP_FAILED]         = "sleep-failed",
};

const char *exit_status_to_string(int status) {
        if (status >= 0 && (size_t) status < ELEMENTSOF(exit_status_words) && exit_status_words[status])
                return exit_status_words[status];
        return "failed";
}
