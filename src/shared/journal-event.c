/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <inttypes.h>
#include <stdarg.h>
#include <systemd/sd-journal.h>

#include "journal-event.h"
#include "log.h"
#include "macro.h"

static const char *strempty(const char *s) {
        return s ? s : "";
}

/* The fields every event carries, as sd_journal_send() arguments. */
#define REQUEST_FIELDS(req)                                                     \
        "HOSTPM_REQUEST_ID=%s", strempty((req)->id),                            \
        "HOSTPM_TARGET=%s", strempty((req)->target),                            \
        "HOSTPM_REQUESTER_UID=%u", (unsigned) (req)->requester_uid,             \
        "HOSTPM_REQUESTER_PID=%i", (int) (req)->requester_pid,                  \
        "HOSTPM_ASKED_USEC=%" PRIu64, (req)->asked_usec

/* "request ID (mem, 300 s, uid 1000, pid 42)", or NULL on OOM. */
static char *describe(const EventRequest *req) {
        char *s;

        if (asprintf(&s, "request %s (%s, %" PRIu64 " s, uid %u, pid %i)",
                     isempty(req->id) ? "?" : req->id, isempty(req->target) ? "?" : req->target,
                     req->asked_usec / USEC_PER_SEC, (unsigned) req->requester_uid,
                     (int) req->requester_pid) < 0)
                return NULL;
        return s;
}

/* Prints the plain line (for logs outside the journal: a terminal, the
 * test bed; under systemd the structured entry alone says it, once) and
 * returns the MESSAGE text; NULL on OOM, in which case the event is only
 * lost from the journal, never fatal. */
static char *message(int priority, const char *format, ...) _printf_(2, 3);
static char *message(int priority, const char *format, ...) {
        va_list ap;
        char *s;
        int r;

        va_start(ap, format);
        r = vasprintf(&s, format, ap);
        va_end(ap);
        if (r < 0) {
                log_oom();
                return NULL;
        }
        if (!log_stderr_is_journal())
                log_full_errno(priority, 0, "%s", s);
        return s;
}

void journal_event_scheduled(const EventRequest *req) {
        _cleanup_free_ char *what = describe(req), *msg = NULL;

        msg = message(LOG_INFO, "Scheduled suspend %s.", strempty(what));
        if (msg)
                (void) sd_journal_send("MESSAGE_ID=" HOSTPM_MESSAGE_SCHEDULED,
                                       "MESSAGE=%s", msg,
                                       "PRIORITY=%i", LOG_INFO,
                                       "HOSTPM_RESULT=scheduled",
                                       REQUEST_FIELDS(req),
                                       NULL);
}

void journal_event_refused(const EventRequest *req, const char *why) {
        _cleanup_free_ char *what = describe(req), *msg = NULL;

        msg = message(LOG_NOTICE, "Refused suspend %s: %s", strempty(what), strempty(why));
        if (msg)
                (void) sd_journal_send("MESSAGE_ID=" HOSTPM_MESSAGE_REFUSED,
                                       "MESSAGE=%s", msg,
                                       "PRIORITY=%i", LOG_NOTICE,
                                       "HOSTPM_RESULT=refused",
                                       "HOSTPM_ERROR=%s", strempty(why),
                                       REQUEST_FIELDS(req),
                                       NULL);
}

void journal_event_denied(const EventRequest *req, const char *why) {
        _cleanup_free_ char *what = describe(req), *msg = NULL;

        msg = message(LOG_WARNING, "Denied suspend %s: %s", strempty(what), strempty(why));
        if (msg)
                (void) sd_journal_send("MESSAGE_ID=" HOSTPM_MESSAGE_DENIED,
                                       "MESSAGE=%s", msg,
                                       "PRIORITY=%i", LOG_WARNING,
                                       "HOSTPM_RESULT=denied",
                                       "HOSTPM_ERROR=%s", strempty(why),
                                       REQUEST_FIELDS(req),
                                       NULL);
}

void journal_event_cancelled(const EventRequest *req, const char *why) {
        _cleanup_free_ char *what = describe(req), *msg = NULL;

        msg = message(LOG_INFO, "Cancelled suspend %s: %s", strempty(what), strempty(why));
        if (msg)
                (void) sd_journal_send("MESSAGE_ID=" HOSTPM_MESSAGE_CANCELLED,
                                       "MESSAGE=%s", msg,
                                       "PRIORITY=%i", LOG_INFO,
                                       "HOSTPM_RESULT=cancelled",
                                       "HOSTPM_ERROR=%s", strempty(why),
                                       REQUEST_FIELDS(req),
                                       NULL);
}

void journal_event_started(const EventRequest *req, uint64_t alarm) {
        _cleanup_free_ char *what = describe(req), *msg = NULL;

        msg = message(LOG_NOTICE, "Suspending for %s; wake alarm set at %" PRIu64 " (RTC time).",
                      strempty(what), alarm);
        if (msg)
                (void) sd_journal_send("MESSAGE_ID=" HOSTPM_MESSAGE_STARTED,
                                       "MESSAGE=%s", msg,
                                       "PRIORITY=%i", LOG_NOTICE,
                                       "HOSTPM_RESULT=suspending",
                                       "HOSTPM_ALARM=%" PRIu64, alarm,
                                       REQUEST_FIELDS(req),
                                       NULL);
}

void journal_event_resumed(const EventRequest *req, uint64_t slept_usec, uint64_t alarm, bool woken_by_alarm) {
        _cleanup_free_ char *what = describe(req), *msg = NULL;

        msg = message(LOG_NOTICE, "Resumed from %s after %" PRIu64 ".%01" PRIu64 " s asleep; %s.",
                      strempty(what), slept_usec / USEC_PER_SEC, slept_usec % USEC_PER_SEC / (USEC_PER_SEC / 10),
                      woken_by_alarm ? "the wake alarm had been reached" : "not woken by the wake alarm");
        if (msg)
                (void) sd_journal_send("MESSAGE_ID=" HOSTPM_MESSAGE_RESUMED,
                                       "MESSAGE=%s", msg,
                                       "PRIORITY=%i", LOG_NOTICE,
                                       "HOSTPM_RESULT=resumed",
                                       "HOSTPM_SLEPT_USEC=%" PRIu64, slept_usec,
                                       "HOSTPM_ALARM=%" PRIu64, alarm,
                                       "HOSTPM_WOKEN_BY_ALARM=%i", (int) woken_by_alarm,
                                       REQUEST_FIELDS(req),
                                       NULL);
}

void journal_event_failed(const EventRequest *req, const char *error) {
        _cleanup_free_ char *what = describe(req), *msg = NULL;

        msg = message(LOG_ERR, "Suspend %s failed: %s", strempty(what), strempty(error));
        if (msg)
                (void) sd_journal_send("MESSAGE_ID=" HOSTPM_MESSAGE_FAILED,
                                       "MESSAGE=%s", msg,
                                       "PRIORITY=%i", LOG_ERR,
                                       "HOSTPM_RESULT=failed",
                                       "HOSTPM_ERROR=%s", strempty(error),
                                       REQUEST_FIELDS(req),
                                       NULL);
}
