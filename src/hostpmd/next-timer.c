/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <inttypes.h>
#include <systemd/sd-journal.h>
#include <time.h>

#include "bus-names.h"
#include "log.h"
#include "next-timer-plan.h"
#include "next-timer.h"
#include "suspend-request-internal.h"
#include "timespan.h"

#define TIMER_IFACE "org.freedesktop.systemd1.Timer"

/* A bound on the questions one request puts to PID 1 at once: far more
 * timers than any host has; the rest are not counted, and the log says so. */
#define TIMERS_MAX 1024

typedef struct TimerQuestion {
        NextTimerWait *wait;
        char *unit;
        sd_bus_slot *slot;
} TimerQuestion;

struct NextTimerWait {
        SuspendRequest *request;
        NextTimerBound bound;
        NextTimer timer;
        bool by_timer;             /* the timer decided the wake time, not the bound */

        sd_bus_slot *list_slot;
        TimerQuestion *questions;
        size_t n_questions;
        unsigned outstanding;
        int error;
        sd_bus_error bus_error;
};

NextTimerWait *next_timer_wait_free(NextTimerWait *w) {
        if (!w)
                return NULL;
        sd_bus_slot_unref(w->list_slot);
        for (size_t i = 0; i < w->n_questions; i++) {
                sd_bus_slot_unref(w->questions[i].slot);
                free(w->questions[i].unit);
        }
        free(w->questions);
        sd_bus_error_free(&w->bus_error);
        next_timer_done(&w->timer);
        free(w);
        return NULL;
}

/* Every answer is in: plan, then polkit; or the request fails. r (and w
 * with it) may be freed here: nothing touches w afterwards. */
static void finish(NextTimerWait *w) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        SuspendRequest *r = w->request;
        Requests *q = r->requests;
        SuspendPlan plan;
        int k;

        if (w->error < 0) {
                request_failf(r, SD_BUS_ERROR_FAILED, "Failed to ask systemd for its timers: %s",
                              w->bus_error.message ? w->bus_error.message : STRERROR(w->error));
                return;
        }
        k = next_timer_plan(q->config, &r->plan, &w->bound, &w->timer, clock_now_usec(CLOCK_REALTIME), &plan,
                            &w->by_timer, &error);
        if (k < 0) {
                request_fail(r, &error, false);
                return;
        }
        r->plan = plan;
        request_authorize(r);
}

static void fail(NextTimerWait *w, int r, const sd_bus_error *e) {
        if (w->error < 0)
                return;
        w->error = r < 0 ? r : -EIO;
        if (e)
                (void) sd_bus_error_copy(&w->bus_error, e);
}

static int read_timer(sd_bus_message *reply, uint64_t *realtime, uint64_t *monotonic, int *wake_system) {
        int r;

        r = sd_bus_message_enter_container(reply, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(reply, 'e', "sv")) > 0) {
                const char *name;

                r = sd_bus_message_read(reply, "s", &name);
                if (r < 0)
                        return r;
                if (streq(name, "NextElapseUSecRealtime"))
                        r = sd_bus_message_read(reply, "v", "t", realtime);
                else if (streq(name, "NextElapseUSecMonotonic"))
                        r = sd_bus_message_read(reply, "v", "t", monotonic);
                else if (streq(name, "WakeSystem"))
                        r = sd_bus_message_read(reply, "v", "b", wake_system);
                else
                        r = sd_bus_message_skip(reply, "v");
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(reply);
                if (r < 0)
                        return r;
        }
        return r;
}

static int reply_timer(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        TimerQuestion *q = userdata;
        NextTimerWait *w = q->wait;
        const sd_bus_error *e = sd_bus_message_get_error(reply);
        uint64_t realtime = 0, monotonic = 0;
        int wake_system = 0, r;

        if (e) {
                /* unloaded between the list and the question: not waiting */
                if (!sd_bus_error_has_names(e, SD_BUS_ERROR_UNKNOWN_OBJECT, "org.freedesktop.systemd1.NoSuchUnit"))
                        fail(w, -sd_bus_error_get_errno(e), e);
        } else if (w->error >= 0) {
                r = read_timer(reply, &realtime, &monotonic, &wake_system);
                if (r >= 0)
                        r = next_timer_add(&w->timer, w->request->requests->config, q->unit, realtime, monotonic,
                                           wake_system, clock_now_usec(CLOCK_REALTIME),
                                           clock_now_usec(CLOCK_MONOTONIC));
                if (r < 0)
                        fail(w, r, NULL);
        }
        if (--w->outstanding == 0)
                finish(w);
        return 0;
}

static int ask_timer(NextTimerWait *w, const char *unit, const char *path) {
        TimerQuestion *q = &w->questions[w->n_questions];
        int r;

        q->wait = w;
        q->unit = strdup(unit);
        if (!q->unit)
                return -ENOMEM;
        w->n_questions++;
        r = sd_bus_call_method_async(w->request->requests->bus, &q->slot, SYSTEMD_BUS_NAME, path,
                                     "org.freedesktop.DBus.Properties", "GetAll", reply_timer, q, "s",
                                     TIMER_IFACE);
        if (r < 0)
                return r;
        w->outstanding++;
        return 0;
}

static int reply_list(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        NextTimerWait *w = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(reply);
        unsigned skipped = 0;
        int r;

        if (e) {
                fail(w, -sd_bus_error_get_errno(e), e);
                finish(w);
                return 0;
        }

        w->questions = calloc(TIMERS_MAX, sizeof *w->questions);
        r = w->questions ? sd_bus_message_enter_container(reply, 'a', "(ssssssouso)") : -ENOMEM;
        while (r > 0) {
                const char *name, *description, *load, *active, *sub, *following, *path, *job_type, *job_path;
                uint32_t job_id;

                r = sd_bus_message_read(reply, "(ssssssouso)", &name, &description, &load, &active, &sub,
                                        &following, &path, &job_id, &job_type, &job_path);
                if (r <= 0)
                        break;
                /* our own timer is the suspend, not a job to wake for */
                if (streq(name, SCHEDULE_TIMER_UNIT))
                        continue;
                if (w->n_questions >= TIMERS_MAX) {
                        skipped++;
                        continue;
                }
                r = ask_timer(w, name, path);
                if (r < 0)
                        break;
                r = 1;
        }
        if (skipped > 0)
                log_warning("More than %u timers are active; %u of them are not counted for the next timer.",
                            TIMERS_MAX, skipped);
        if (r < 0)
                fail(w, r, NULL);
        if (w->outstanding == 0)
                finish(w);
        return 0;
}

void next_timer_wait_start(SuspendRequest *r) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        NextTimerWait *w = r->next_timer;
        int k;

        w->request = r;
        k = sd_bus_message_new_method_call(r->requests->bus, &m, SYSTEMD_BUS_NAME, SYSTEMD_OBJECT_PATH,
                                           SYSTEMD_MANAGER_IFACE, "ListUnitsByPatterns");
        if (k >= 0)
                k = sd_bus_message_append_strv(m, (char *[]) { (char *) "active", NULL });
        if (k >= 0)
                k = sd_bus_message_append_strv(m, (char *[]) { (char *) "*.timer", NULL });
        if (k >= 0)
                k = sd_bus_call_async(r->requests->bus, &w->list_slot, m, reply_list, w, 0);
        if (k < 0)
                request_failf(r, SD_BUS_ERROR_FAILED, "Failed to ask systemd for its timers: %s", STRERROR(k));
}

int next_timer_retime(SuspendRequest *r, uint64_t now_realtime_usec, sd_bus_error *error) {
        NextTimerWait *w = r->next_timer;
        SuspendPlan plan;
        int k;

        k = next_timer_plan(r->requests->config, &r->plan, &w->bound, &w->timer, now_realtime_usec, &plan,
                            &w->by_timer, error);
        if (k < 0)
                return k;
        r->plan = plan;
        return 0;
}

static void journal_choice(const SuspendRequest *r, const NextTimerWait *w, uint64_t wake_usec) {
        char at[WALL_TIME_MAX_STRING], wake[WALL_TIME_MAX_STRING], lead[DURATION_MAX_STRING];
        _cleanup_free_ char *msg = NULL;

        format_wall_time(at, sizeof at, w->timer.elapse_realtime_usec);
        format_wall_time(wake, sizeof wake, wake_usec);
        format_duration(lead, sizeof lead, r->requests->config->next_timer_lead_usec);
        if (asprintf(&msg, "Request %s wakes at %s: %s (next timer %s elapses at %s, NextTimerLead=%s).", r->id,
                     wake, w->by_timer ? "for the next timer" : "the asked time, before the next timer",
                     w->timer.unit, at, lead) < 0) {
                log_oom();
                return;
        }
        if (!log_stderr_is_journal())
                log_info("%s", msg);
        (void) sd_journal_send("MESSAGE=%s", msg,
                               "MESSAGE_ID=" HOSTPM_MESSAGE_NEXT_TIMER,
                               "PRIORITY=%i", LOG_INFO,
                               "HOSTPM_REQUEST_ID=%s", r->id,
                               "HOSTPM_NEXT_TIMER=%s", w->timer.unit,
                               "HOSTPM_NEXT_TIMER_USEC=%" PRIu64, w->timer.elapse_realtime_usec,
                               "HOSTPM_NEXT_TIMER_LEAD_USEC=%" PRIu64, r->requests->config->next_timer_lead_usec,
                               "HOSTPM_WAKE_USEC=%" PRIu64, wake_usec,
                               "HOSTPM_WAKE_DECIDED_BY=%s", w->by_timer ? "timer" : "asked",
                               NULL);
}

int next_timer_reply(SuspendRequest *r) {
        NextTimerWait *w = r->next_timer;
        uint64_t wake = suspend_plan_wake_usec(&r->plan);

        if (r->id[0])
                journal_choice(r, w, wake);
        return sd_bus_reply_method_return(r->message, "sttstb", r->id, r->plan.suspend_realtime_usec, wake,
                                          w->timer.unit, w->timer.elapse_realtime_usec, (int) w->by_timer);
}

int method_schedule_suspend_until_next_timer(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        Requests *q = userdata;
        NextTimerBound bound = {0};
        uint64_t delay_usec, flags, now;
        const char *target;
        SuspendPlan plan;
        NextTimerWait *w;
        int k;

        k = sd_bus_message_read(message, "stttt", &target, &bound.duration_usec, &bound.wake_usec, &delay_usec,
                                &flags);
        if (k < 0)
                return k;

        now = clock_now_usec(CLOCK_REALTIME);
        k = next_timer_check_request(q->config, target, &bound, delay_usec, flags, now, &plan, error);
        if (k < 0)
                return refuse_early(q, message, error, target,
                                    bound.duration_usec > 0 ? bound.duration_usec
                                    : bound.wake_usec > now ? bound.wake_usec - now : 0);

        w = calloc(1, sizeof *w);
        if (!w)
                return -ENOMEM;
        w->bound = bound;
        return schedule_common(message, q, &plan, w, error);
}
