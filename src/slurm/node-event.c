/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <inttypes.h>
#include <stdarg.h>
#include <systemd/sd-journal.h>

#include "log.h"
#include "node-event.h"

static const char *strempty(const char *s) {
        return s ? s : "";
}

void node_event_log(const char *message_id, const NodeEvent *e, const char *format, ...) {
        bool failed = !streq_ptr(message_id, HOSTPM_SLURM_MESSAGE_SUSPENDED) &&
                      !streq_ptr(message_id, HOSTPM_SLURM_MESSAGE_WOKEN);
        int priority = failed ? LOG_WARNING : LOG_INFO;
        _cleanup_free_ char *msg = NULL;
        va_list ap;
        int r;

        va_start(ap, format);
        r = vasprintf(&msg, format, ap);
        va_end(ap);
        if (r < 0) {
                log_oom();
                return;
        }
        if (!log_stderr_is_journal())
                log_full_errno(priority, 0, "%s", msg);
        /* no journal (a container, a test without one) is not an error */
        (void) sd_journal_send("MESSAGE=%s", msg,
                               "MESSAGE_ID=%s", message_id,
                               "PRIORITY=%i", priority,
                               "SYSLOG_IDENTIFIER=%s", program_invocation_short_name,
                               "HOSTPM_SLURM_NODE=%s", strempty(e->node),
                               "HOSTPM_SLURM_ACTION=%s", strempty(e->action),
                               "HOSTPM_SLURM_RESULT=%s", strempty(e->result),
                               "HOSTPM_REQUEST_ID=%s", strempty(e->request_id),
                               "HOSTPM_SLURM_ALARM_USEC=%" PRIu64, e->alarm_usec,
                               "HOSTPM_SLURM_MAC=%s", strempty(e->mac),
                               "HOSTPM_SLURM_ERROR=%s", strempty(e->error),
                               "HOSTPM_SLURM_TOLD=%s", strempty(e->slurm),
                               NULL);
}
