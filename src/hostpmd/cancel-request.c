/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* CancelSuspend() and CancelSuspendById(): a cancel is about one request.
 * The one pending when the call arrives (or the one named) is what polkit
 * is asked about, with its details, and the only one the cancel may stop:
 * if another has taken its place while polkit thought, nothing is
 * cancelled. */

#include <time.h>

#include "bus-names.h"
#include "log.h"
#include "suspend-request-internal.h"
#include "timespan.h"

static bool request_id_valid(const char *id) {
        return strlen(id) == SD_ID128_STRING_MAX - 1 && strspn(id, "0123456789abcdef") == strlen(id);
}

void cancel_act(SuspendRequest *r) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        Requests *q = r->requests;
        const Pending *p = NULL;
        EventRequest ev;
        int k;

        /* Ask again: the timer may have fired, or the request ended and
         * another came, while polkit thought. */
        pending_cache_forget(q->pending);
        k = pending_cache_get(q->pending, &p, &error);
        if (k < 0) {
                request_failf(r, SD_BUS_ERROR_FAILED, "Failed to read the pending suspend from systemd: %s",
                              error.message ? error.message : STRERROR(k));
                return;
        }
        if (k == 0) {
                request_failf(r, r->want_id[0] ? HOSTPM_ERROR_NO_SUCH_REQUEST : HOSTPM_ERROR_NOTHING_PENDING,
                              "No suspend is pending any more; request %s ended while the cancel waited for "
                              "authorization. Nothing to cancel.", r->id);
                return;
        }
        if (!streq(p->id ? p->id : "", r->id)) {
                request_failf(r, HOSTPM_ERROR_NO_SUCH_REQUEST,
                              "Request %s is no longer pending: it ended while the cancel waited for "
                              "authorization, and request %s is pending now. Nothing was cancelled.",
                              r->id, p->id ? p->id : "?");
                return;
        }
        if (p->state == PENDING_SUSPENDING) {
                request_failf(r, HOSTPM_ERROR_TOO_LATE,
                              "Too late to cancel request %s: the suspend has started; the RTC alarm will wake "
                              "the host.", r->id);
                return;
        }

        k = schedule_stop_timer(q->bus, &error);
        pending_cache_forget(q->pending);
        if (k < 0) {
                request_failf(r, SD_BUS_ERROR_FAILED, "Failed to stop %s: %s", SCHEDULE_TIMER_UNIT,
                              error.message ? error.message : STRERROR(k));
                return;
        }
        /* The timer may have elapsed between our look and the stop; the
         * helper then owns the suspend and is never stopped by us. */
        if (pending_cache_get(q->pending, &p, NULL) > 0 && p->state == PENDING_SUSPENDING) {
                request_failf(r, HOSTPM_ERROR_TOO_LATE,
                              "Too late to cancel request %s: the timer fired while cancelling; the RTC alarm "
                              "will wake the host.", r->id);
                return;
        }

        ev = event_request(r);
        journal_event(JOURNAL_EVENT_CANCELLED, &ev, &(const EventDetails) { .error = "cancelled by request" });
        (void) sd_bus_reply_method_return(r->message, "s", r->id);
        q->ops->cancelled(q->owner, r->id);
        request_free(r);
}

/* Before polkit, and without waiting for PID 1: is there something, the
 * right thing, to cancel? Then it is pinned for polkit and for the act. */
static void cancel_pending_checked(int k, const Pending *p, const sd_bus_error *error, void *userdata) {
        SuspendRequest *r = userdata;

        r->pending_check = pending_check_free(r->pending_check);
        if (k < 0) {
                request_failf(r, SD_BUS_ERROR_FAILED, "Failed to ask systemd what is pending: %s",
                              error && error->message ? error->message : STRERROR(k));
                return;
        }
        if (k == 0) {
                if (r->want_id[0])
                        request_failf(r, HOSTPM_ERROR_NO_SUCH_REQUEST,
                                      "Request %s is not pending; no suspend is. Nothing to cancel.", r->want_id);
                else
                        request_failf(r, HOSTPM_ERROR_NOTHING_PENDING, "No suspend is pending; nothing to cancel.");
                return;
        }

        if (r->want_id[0] && !streq_ptr(p->id, r->want_id)) {
                /* the journal entry names the request asked for */
                memcpy(r->id, r->want_id, sizeof r->id);
                request_failf(r, HOSTPM_ERROR_NO_SUCH_REQUEST,
                              "Request %s is not pending (request %s is); nothing was cancelled.",
                              r->want_id, p->id ? p->id : "?");
                return;
        }

        snprintf(r->id, sizeof r->id, "%s", p->id ? p->id : "");
        r->plan.target = p->target;
        r->plan.duration_sec = p->duration_sec;
        r->pending_requester_uid = p->requester_uid;
        r->pending_wake_usec = p->wake_realtime_usec > 0 ? p->wake_realtime_usec
                                                         : usec_add(p->suspend_realtime_usec,
                                                                    usec_from_sec(p->duration_sec));
        /* a wake time asks for what lies between suspend and wake */
        if (p->duration_sec == 0 && p->wake_realtime_usec > p->suspend_realtime_usec && p->suspend_realtime_usec > 0)
                r->plan.duration_sec = (p->wake_realtime_usec - p->suspend_realtime_usec) / USEC_PER_SEC;

        if (p->state == PENDING_SUSPENDING) {
                request_failf(r, HOSTPM_ERROR_TOO_LATE,
                              "Too late to cancel request %s: the suspend has started; the RTC alarm will wake "
                              "the host.", r->id);
                return;
        }
        request_authorize(r);
}

static int cancel_common(sd_bus_message *message, Requests *q, const char *want_id, sd_bus_error *error) {
        SuspendRequest *r;
        int k;

        k = request_new(q, message, REQUEST_CANCEL, &r, error);
        if (k < 0)
                return k;
        snprintf(r->want_id, sizeof r->want_id, "%s", want_id);

        k = pending_check_async(q->bus, cancel_pending_checked, r, &r->pending_check);
        if (k < 0)
                request_failf(r, SD_BUS_ERROR_FAILED, "Failed to ask systemd what is pending: %s", STRERROR(k));
        return 1;
}

int method_cancel_suspend(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        return cancel_common(message, userdata, "", error);
}

int method_cancel_suspend_by_id(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        Requests *q = userdata;
        const char *id;
        int k;

        k = sd_bus_message_read(message, "s", &id);
        if (k < 0)
                return k;

        /* checked before the id goes into any message */
        if (strnlen(id, REQUEST_ID_ARGUMENT_MAX + 1) > REQUEST_ID_ARGUMENT_MAX) {
                sd_bus_error_setf(error, HOSTPM_ERROR_NO_SUCH_REQUEST,
                                  "The id is longer than %i bytes; expected the 32 hexadecimal digits of a "
                                  "request (PendingId).", REQUEST_ID_ARGUMENT_MAX);
                return refuse_early(q, message, error, NULL, 0);
        }
        if (!request_id_valid(id)) {
                sd_bus_error_setf(error, HOSTPM_ERROR_NO_SUCH_REQUEST,
                                  "'%s' is not a request id; expected the 32 hexadecimal digits of a request "
                                  "(PendingId).", id);
                return refuse_early(q, message, error, NULL, 0);
        }

        return cancel_common(message, q, id, error);
}
