/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* ScheduleSuspend() and ScheduleSuspendUntil(), and what every request
 * shares with CancelSuspend*() (cancel-request.c): admission, refusals
 * and polkit.
 *
 * A caller who is not authorized gets cheap answers: strings too long are
 * refused before anything is formatted, a UID has at most
 * REQUESTS_PER_UID_MAX calls in flight (REQUESTS_MAX in all), the checks
 * before polkit never wait for PID 1 (pending-check.c), and what its
 * refusals put in the journal is bounded per UID (log-limit.h). */

#include <inttypes.h>
#include <stdarg.h>
#include <time.h>

#include "bus-names.h"
#include "hibernate-check.h"
#include "log.h"
#include "next-timer.h"
#include "suspend-request-internal.h"
#include "timespan.h"

SuspendRequest *request_free(SuspendRequest *r) {
        Requests *q;

        if (!r)
                return NULL;
        q = r->requests;
        if (r->prev)
                r->prev->next = r->next;
        else
                q->list = r->next;
        if (r->next)
                r->next->prev = r->prev;
        if (r->capabilities_waiter)
                host_capabilities_withdraw(q->capabilities, r->capabilities_waiter);
        pending_check_free(r->pending_check);
        polkit_check_free(r->polkit);
        next_timer_wait_free(r->next_timer);
        sd_bus_message_unref(r->message);
        free(r);
        return NULL;
}

void requests_done(Requests *q) {
        while (q->list)
                request_free(q->list);
}

bool requests_busy(const Requests *q) {
        return q->list;
}

EventRequest event_request(const SuspendRequest *r) {
        return (EventRequest) {
                .id = r->id[0] ? r->id : NULL,
                .target = sleep_target_to_string(r->plan.target),  /* NULL while unknown */
                .requester_uid = r->uid,
                .requester_pid = r->pid,
                .asked_usec = usec_from_sec(r->plan.duration_sec),
        };
}

/* Journals a refusal or denial; for a caller who is not authorized only
 * within its UID's budget, saying once when entries start being dropped
 * and how many were when they pass again. */
static void journal_refusal(Requests *q, const EventRequest *ev, const char *why, bool denied, bool authorized) {
        uint64_t dropped = 0;

        if (!authorized && ev->requester_uid != 0)
                switch (log_limit_check(&q->log_limit, ev->requester_uid, clock_now_usec(CLOCK_MONOTONIC),
                                        &dropped)) {
                case LOG_LIMIT_DROP_FIRST:
                        log_notice("UID %u made more than %u refused calls in a short time: the journal "
                                   "entries of its refusals are dropped until its budget refills (one per "
                                   "%u s); the calls are still answered.",
                                   (unsigned) ev->requester_uid, LOG_LIMIT_BURST,
                                   (unsigned) (LOG_LIMIT_INTERVAL_USEC / USEC_PER_SEC));
                        return;
                case LOG_LIMIT_DROP:
                        return;
                case LOG_LIMIT_PASS:
                        if (dropped > 0)
                                log_notice("Dropped the journal entries of %" PRIu64 " refused calls of UID %u "
                                           "(rate limit).", dropped, (unsigned) ev->requester_uid);
                        break;
                }

        journal_event(denied ? JOURNAL_EVENT_DENIED : JOURNAL_EVENT_REFUSED, ev,
                      &(const EventDetails) { .error = why });
}

void request_fail(SuspendRequest *r, const sd_bus_error *error, bool denied) {
        EventRequest ev = event_request(r);

        journal_refusal(r->requests, &ev, error->message, denied, r->authorized);
        (void) sd_bus_reply_method_error(r->message, error);
        request_free(r);
}

void request_failf(SuspendRequest *r, const char *name, const char *format, ...) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_free_ char *message = NULL;
        va_list ap;
        int k;

        va_start(ap, format);
        k = vasprintf(&message, format, ap);
        va_end(ap);
        sd_bus_error_set(&error, name, k >= 0 ? message : "Out of memory.");
        request_fail(r, &error, false);
}

static void caller_creds(sd_bus_message *message, uid_t *ret_uid, pid_t *ret_pid) {
        _cleanup_(sd_bus_creds_unrefp) sd_bus_creds *creds = NULL;

        *ret_uid = (uid_t) -1;
        *ret_pid = 0;
        if (sd_bus_query_sender_creds(message, SD_BUS_CREDS_EUID | SD_BUS_CREDS_PID, &creds) >= 0) {
                (void) sd_bus_creds_get_euid(creds, ret_uid);
                (void) sd_bus_creds_get_pid(creds, ret_pid);
        }
}

int refuse_early(Requests *q, sd_bus_message *message, const sd_bus_error *error, const char *target,
                 uint64_t asked_usec) {
        EventRequest ev = {
                /* the caller's own string, if it is short enough to be a target at all */
                .target = target && strnlen(target, SUSPEND_TARGET_MAX + 1) <= SUSPEND_TARGET_MAX ? target : NULL,
                .asked_usec = asked_usec,
        };

        caller_creds(message, &ev.requester_uid, &ev.requester_pid);
        journal_refusal(q, &ev, error->message, /* denied= */ false, /* authorized= */ ev.requester_uid == 0);
        return -sd_bus_error_get_errno(error);
}

int request_new(Requests *q, sd_bus_message *message, RequestKind kind, SuspendRequest **ret, sd_bus_error *error) {
        unsigned mine = 0, all = 0;
        SuspendRequest *r;
        uid_t uid;
        pid_t pid;
        int k;

        caller_creds(message, &uid, &pid);
        if (uid != 0) {
                for (SuspendRequest *i = q->list; i; i = i->next)
                        if (i->uid != 0) {
                                all++;
                                mine += i->uid == uid;
                        }
                if (mine >= REQUESTS_PER_UID_MAX || all >= REQUESTS_MAX) {
                        sd_bus_error_setf(error, HOSTPM_ERROR_TOO_MANY_REQUESTS,
                                          "Too many calls waiting for an answer (%u of UID %u, at most %u; %u in "
                                          "all, at most %u); try again once they are answered.",
                                          mine, (unsigned) uid, REQUESTS_PER_UID_MAX, all, REQUESTS_MAX);
                        return refuse_early(q, message, error, NULL, 0);
                }
        }

        r = calloc(1, sizeof *r);
        if (!r)
                return -ENOMEM;
        *r = (SuspendRequest) {
                .requests = q,
                .kind = kind,
                .plan.target = _SLEEP_TARGET_INVALID,
                .message = sd_bus_message_ref(message),
                .uid = uid,
                .pid = pid,
                .pending_requester_uid = (uid_t) -1,
        };
        if (kind == REQUEST_SCHEDULE) {
                sd_id128_t id;

                /* made now, so polkit can be told which request it decides */
                k = sd_id128_randomize(&id);
                if (k < 0) {
                        sd_bus_message_unref(r->message);
                        free(r);
                        return sd_bus_error_set_errnof(error, k, "Failed to generate a request id: %s",
                                                       STRERROR(k));
                }
                sd_id128_to_string(id, r->new_id);
        }

        r->next = q->list;
        if (r->next)
                r->next->prev = r;
        q->list = r;
        *ret = r;
        return 0;
}

static const char *target_name(SleepTarget t) {
        const char *s = sleep_target_to_string(t);

        return s ? s : "?";
}

static const char *busy_message(const Pending *p, char *buf, size_t l) {
        char at[WALL_TIME_MAX_STRING];

        if (p->state == PENDING_SUSPENDING)
                snprintf(buf, l, "A suspend is already in progress as request %s (to %s); wait for the host to resume.",
                         p->id ? p->id : "?", target_name(p->target));
        else
                snprintf(buf, l, "A suspend is already pending as request %s (to %s, at %s); cancel it first "
                         "(hostpm-suspend --cancel).",
                         p->id ? p->id : "?", target_name(p->target),
                         format_wall_time(at, sizeof at, p->suspend_realtime_usec) ? at : "soon");
        return buf;
}

/* Last step: hand the suspend to systemd, then answer. */
static void schedule_act(SuspendRequest *r) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        Requests *q = r->requests;
        EventRequest ev;
        HelperRequest helper;
        int k;

        /* The timer starts counting when it is made, which is now: an
         * authorization that took its time may have left a wake time too
         * close, and the minimum is the difference between a host that
         * wakes and one that does not. */
        k = r->next_timer ? next_timer_retime(r, clock_now_usec(CLOCK_REALTIME), &error)
                          : suspend_plan_retime(q->config, &r->plan, clock_now_usec(CLOCK_REALTIME), &error);
        if (k < 0) {
                request_fail(r, &error, false);
                return;
        }

        if (r->plan.flags & HOSTPM_FLAG_DRY_RUN) {
                /* validated and authorized, nothing scheduled: no id */
                (void) (r->next_timer ? next_timer_reply(r)
                                      : sd_bus_reply_method_return(r->message, "stt", "", r->plan.suspend_realtime_usec,
                                                                   suspend_plan_wake_usec(&r->plan)));
                request_free(r);
                return;
        }

        memcpy(r->id, r->new_id, sizeof r->id);
        helper = (HelperRequest) {
                .id = r->id,
                .target = r->plan.target,
                .duration_sec = r->plan.duration_sec,
                .wake_realtime_usec = r->plan.wake_realtime_usec,
                .min_seconds = suspend_plan_min_seconds(q->config),
                .alarm_range_sec = r->plan.alarm_range_sec,
                .hibernate_after_sec = r->plan.hibernate_after_sec,
                .ignore_inhibitors = r->plan.flags & HOSTPM_FLAG_IGNORE_INHIBITORS,
                .rtc_device = q->config->rtc_device,
                .wake_on_lan = q->config->wake_on_lan_interfaces,
                .requester_uid = r->uid,
                .requester_pid = r->pid,
        };

        k = schedule_start(q->bus, &r->plan, &helper, &error);
        pending_cache_forget(q->pending);
        if (k < 0) {
                if (sd_bus_error_has_name(&error, "org.freedesktop.systemd1.UnitExists")) {
                        /* lost a race with another caller: the fixed unit name is the guard */
                        const Pending *p = NULL;
                        char buf[512];

                        r->id[0] = '\0';
                        if (pending_cache_get(q->pending, &p, NULL) > 0)
                                request_failf(r, HOSTPM_ERROR_BUSY, "%s", busy_message(p, buf, sizeof buf));
                        else
                                /* a name in the way that is no request of ours */
                                request_failf(r, SD_BUS_ERROR_FAILED,
                                              "A unit named %s or %s exists but holds no pending suspend "
                                              "(masked, or left over); inspect it with: systemctl status %s %s",
                                              SCHEDULE_TIMER_UNIT, SCHEDULE_SERVICE_UNIT,
                                              SCHEDULE_TIMER_UNIT, SCHEDULE_SERVICE_UNIT);
                        return;
                }
                request_failf(r, SD_BUS_ERROR_FAILED, "systemd refused to schedule the suspend: %s",
                              error.message ? error.message : STRERROR(k));
                return;
        }

        ev = event_request(r);
        journal_event(JOURNAL_EVENT_SCHEDULED, &ev, NULL);
        (void) (r->next_timer ? next_timer_reply(r)
                              : sd_bus_reply_method_return(r->message, "stt", r->id, r->plan.suspend_realtime_usec,
                                                           suspend_plan_wake_usec(&r->plan)));
        q->ops->scheduled(q->owner, r->id, r->plan.target, r->plan.suspend_realtime_usec,
                          suspend_plan_wake_usec(&r->plan));
        request_free(r);
}

static void polkit_done(int k, sd_bus_error *error, void *userdata) {
        SuspendRequest *r = userdata;

        r->polkit = polkit_check_free(r->polkit);
        if (k < 0) {
                request_fail(r, error, true);
                return;
        }
        if (r->kind == REQUEST_SCHEDULE && (r->plan.flags & HOSTPM_FLAG_IGNORE_INHIBITORS) &&
            !r->inhibitor_override_authorized) {
                /* the first answer was for the suspend itself; now the override */
                r->inhibitor_override_authorized = true;
                request_authorize(r);
                return;
        }
        r->authorized = true;
        if (r->kind == REQUEST_SCHEDULE)
                schedule_act(r);
        else
                cancel_act(r);
}

/* Polkit comes after every check that needs no password, so nobody is
 * asked to authenticate for a request that would be refused anyway. The
 * details say which request is decided, so rules can decide on them
 * (documented in org.hostpm1(5)). */
void request_authorize(SuspendRequest *r) {
        char duration[DURATION_MAX_STRING], duration_usec[32], wake_usec[32], requester_uid[16];
        const char *action;
        uint64_t d, wake;
        int k;

        if (r->kind == REQUEST_CANCEL)
                action = HOSTPM_ACTION_CANCEL;
        else if (r->plan.flags & HOSTPM_FLAG_IGNORE_INHIBITORS && r->inhibitor_override_authorized)
                action = HOSTPM_ACTION_IGNORE_INHIBITORS;
        else
                action = HOSTPM_ACTION_SUSPEND;

        if (r->kind == REQUEST_SCHEDULE) {
                d = r->plan.wake_realtime_usec > 0 ? r->plan.wake_realtime_usec - r->plan.suspend_realtime_usec
                                                   : usec_from_sec(r->plan.duration_sec);
                wake = suspend_plan_wake_usec(&r->plan);
        } else {
                d = usec_from_sec(r->plan.duration_sec);
                wake = r->pending_wake_usec;
        }
        format_duration(duration, sizeof duration, d);
        snprintf(duration_usec, sizeof duration_usec, "%" PRIu64, d);
        snprintf(wake_usec, sizeof wake_usec, "%" PRIu64, wake);
        snprintf(requester_uid, sizeof requester_uid, "%" PRIu32,
                 (uint32_t) (r->kind == REQUEST_SCHEDULE ? r->uid : r->pending_requester_uid));

        const char *details[] = {
                "request_id", r->kind == REQUEST_SCHEDULE ? r->new_id : r->id,
                "target", r->plan.target >= 0 ? target_name(r->plan.target) : "",
                "duration", duration,
                "duration_usec", duration_usec,
                "wake_usec", wake_usec,
                "requester_uid", requester_uid,
                NULL,
        };

        k = polkit_check_async(r->message, action, details, polkit_done, r, &r->polkit);
        if (k < 0) {
                request_failf(r, HOSTPM_ERROR_NOT_AUTHORIZED, "Failed to check authorization for %s: %s",
                              action, STRERROR(k));
                return;
        }
        if (k > 0)
                polkit_done(1, NULL, r);
}

int schedule_check_capabilities(const Capabilities *c, SleepTarget target, sd_bus_error *error) {
        const char *name = target_name(target), *problem;

        if (c->query_error != 0)
                return sd_bus_error_setf(error, HOSTPM_ERROR_CAPABILITIES_UNKNOWN,
                                         "Cannot tell whether the host supports '%s': logind could not be asked "
                                         "(%s); nothing was scheduled.",
                                         name, c->query_error_message ? c->query_error_message
                                                                      : STRERROR(c->query_error));
        /* with the image's problem, if the target writes one: logind's "na"
         * does not say that it is the swap */
        problem = sleep_target_writes_image(target) ? c->hibernate_problem : NULL;
        if (!capabilities_target_supported(c, target))
                return sd_bus_error_setf(error, HOSTPM_ERROR_UNSUPPORTED_TARGET,
                                         "This host does not support sleep target '%s' (logind answered '%s')%s%s; "
                                         "see hostpm-suspend --capabilities for what it supports.",
                                         name, target >= 0 && target < _SLEEP_TARGET_MAX && c->targets[target].raw
                                                       ? c->targets[target].raw : "?",
                                         problem ? ": " : "", problem ? problem : "");
        if (problem)
                return sd_bus_error_setf(error, HOSTPM_ERROR_UNSUPPORTED_TARGET,
                                         "This host cannot hibernate for sleep target '%s': %s; nothing was scheduled.",
                                         name, problem);
        if (!c->rtc.present || !c->rtc.has_wakealarm)
                return sd_bus_error_setf(error, HOSTPM_ERROR_NO_WAKE_ALARM,
                                         "RTC %s has no wake alarm (%s/class/rtc/%s/wakealarm); hostpm never "
                                         "suspends a host it cannot wake. Set RTCDevice= in hostpm.conf to a "
                                         "device that has one.",
                                         c->rtc.device, rtc_sysfs_root(), c->rtc.device);
        if (c->rtc.wakeup == RTC_WAKEUP_DISABLED)
                return sd_bus_error_setf(error, HOSTPM_ERROR_NO_WAKE_ALARM,
                                         "RTC %s may not wake the system (its power/wakeup is 'disabled'); enable "
                                         "it with: echo enabled > %s/class/rtc/%s/device/power/wakeup",
                                         c->rtc.device, rtc_sysfs_root(), c->rtc.device);
        return 0;
}

static void schedule_capabilities_ready(const Capabilities *c, void *userdata) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        SuspendRequest *r = userdata;

        r->capabilities_waiter = NULL;  /* consumed */
        if (schedule_check_capabilities(c, r->plan.target, &error) < 0) {
                request_fail(r, &error, /* denied= */ false);
                return;
        }
        if (r->next_timer)
                next_timer_wait_start(r);  /* plans, then authorizes */
        else
                request_authorize(r);
}

/* Busy is known without asking anyone for a password; the fixed unit
 * name still guards the race between two callers that both got past it. */
static void schedule_pending_checked(int k, const Pending *p, const sd_bus_error *error, void *userdata) {
        SuspendRequest *r = userdata;
        Requests *q = r->requests;

        r->pending_check = pending_check_free(r->pending_check);
        if (k < 0) {
                request_failf(r, SD_BUS_ERROR_FAILED, "Failed to ask systemd what is pending: %s",
                              error && error->message ? error->message : STRERROR(k));
                return;
        }
        if (k > 0) {
                char buf[512];

                request_failf(r, HOSTPM_ERROR_BUSY, "%s", busy_message(p, buf, sizeof buf));
                return;
        }

        k = host_capabilities_wait(q->capabilities, schedule_capabilities_ready, r, NULL, &r->capabilities_waiter);
        if (k < 0)
                request_failf(r, SD_BUS_ERROR_FAILED, "Failed to ask logind for the host's capabilities: %s",
                              STRERROR(k));
}

int schedule_common(sd_bus_message *message, Requests *q, const SuspendPlan *plan, NextTimerWait *next_timer,
                    sd_bus_error *error) {
        SuspendRequest *r;
        int k;

        k = request_new(q, message, REQUEST_SCHEDULE, &r, error);
        if (k < 0) {
                next_timer_wait_free(next_timer);
                return k;
        }
        r->plan = *plan;
        r->next_timer = next_timer;

        k = pending_check_async(q->bus, schedule_pending_checked, r, &r->pending_check);
        if (k < 0)
                request_failf(r, SD_BUS_ERROR_FAILED, "Failed to ask systemd what is pending: %s", STRERROR(k));
        return 1;
}

int method_schedule_suspend(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        Requests *q = userdata;
        uint64_t duration_usec, delay_usec, flags;
        const char *target;
        SuspendPlan plan;
        int k;

        k = sd_bus_message_read(message, "sttt", &target, &duration_usec, &delay_usec, &flags);
        if (k < 0)
                return k;

        k = suspend_plan_for_duration(q->config, target, duration_usec, delay_usec, flags,
                                      clock_now_usec(CLOCK_REALTIME), &plan, error);
        if (k < 0)
                return refuse_early(q, message, error, target, duration_usec);

        return schedule_common(message, q, &plan, NULL, error);
}

int method_schedule_suspend_until(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        Requests *q = userdata;
        uint64_t wake_usec, delay_usec, flags, now;
        const char *target;
        SuspendPlan plan;
        int k;

        k = sd_bus_message_read(message, "sttt", &target, &wake_usec, &delay_usec, &flags);
        if (k < 0)
                return k;

        now = clock_now_usec(CLOCK_REALTIME);
        k = suspend_plan_for_wake_time(q->config, target, wake_usec, delay_usec, flags, now, &plan, error);
        if (k < 0)
                return refuse_early(q, message, error, target, wake_usec > now ? wake_usec - now : 0);

        return schedule_common(message, q, &plan, NULL, error);
}
