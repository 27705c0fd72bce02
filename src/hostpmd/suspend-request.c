/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <systemd/sd-id128.h>
#include <time.h>

#include "bus-names.h"
#include "host-capabilities.h"
#include "journal-event.h"
#include "log.h"
#include "manager.h"
#include "polkit.h"
#include "suspend-plan.h"
#include "suspend-request.h"
#include "timespan.h"

typedef enum RequestKind {
        REQUEST_SCHEDULE,
        REQUEST_CANCEL,
} RequestKind;

/* One call between its arrival and its reply. */
struct SuspendRequest {
        Manager *manager;
        sd_bus_message *message;
        RequestKind kind;
        SuspendPlan plan;
        uid_t uid;
        pid_t pid;
        char id[SD_ID128_STRING_MAX];
        CapabilitiesWaiter *capabilities_waiter;
        PolkitCheck *polkit;
        bool inhibitor_override_authorized;
        SuspendRequest *next, *prev;
};

static SuspendRequest *request_free(SuspendRequest *r) {
        Manager *m;

        if (!r)
                return NULL;
        m = r->manager;
        if (r->prev)
                r->prev->next = r->next;
        else
                m->requests = r->next;
        if (r->next)
                r->next->prev = r->prev;
        if (r->capabilities_waiter)
                host_capabilities_withdraw(m, r->capabilities_waiter);
        polkit_check_free(r->polkit);
        sd_bus_message_unref(r->message);
        free(r);
        manager_touch(m);
        return NULL;
}

void suspend_requests_free_all(Manager *m) {
        while (m->requests)
                request_free(m->requests);
}

static EventRequest event_request(const SuspendRequest *r) {
        return (EventRequest) {
                .id = r->id[0] ? r->id : NULL,
                .target = sleep_target_to_string(r->plan.target),  /* NULL while unknown */
                .requester_uid = r->uid,
                .requester_pid = r->pid,
                .asked_usec = r->plan.duration_sec * USEC_PER_SEC,
        };
}

/* Answers the call with an error, leaves the refusal in the journal, and
 * ends the request. */
static void request_fail(SuspendRequest *r, const sd_bus_error *error, bool denied) {
        EventRequest ev = event_request(r);

        if (denied)
                journal_event_denied(&ev, error->message);
        else
                journal_event_refused(&ev, error->message);
        (void) sd_bus_reply_method_error(r->message, error);
        request_free(r);
}

static void request_failf(SuspendRequest *r, const char *name, const char *format, ...) _printf_(3, 4);
static void request_failf(SuspendRequest *r, const char *name, const char *format, ...) {
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

static int request_new(Manager *m, sd_bus_message *message, RequestKind kind, SuspendRequest **ret) {
        _cleanup_(sd_bus_creds_unrefp) sd_bus_creds *creds = NULL;
        SuspendRequest *r;
        int k;

        r = calloc(1, sizeof *r);
        if (!r)
                return -ENOMEM;
        r->manager = m;
        r->kind = kind;
        r->plan.target = _SLEEP_TARGET_INVALID;
        r->message = sd_bus_message_ref(message);
        r->uid = (uid_t) -1;

        k = sd_bus_query_sender_creds(message, SD_BUS_CREDS_EUID | SD_BUS_CREDS_PID, &creds);
        if (k >= 0) {
                (void) sd_bus_creds_get_euid(creds, &r->uid);
                (void) sd_bus_creds_get_pid(creds, &r->pid);
        }

        r->next = m->requests;
        if (r->next)
                r->next->prev = r;
        m->requests = r;
        *ret = r;
        return 0;
}

static const char *busy_message(const Pending *p, char *buf, size_t l) {
        char at[WALL_TIME_MAX_STRING];

        if (p->state == PENDING_SUSPENDING)
                snprintf(buf, l, "A suspend is already in progress as request %s (to %s); wait for the host to resume.",
                         p->id ? p->id : "?", sleep_target_to_string(p->target));
        else
                snprintf(buf, l, "A suspend is already pending as request %s (to %s, at %s); cancel it first "
                         "(hostpm-suspend --cancel).",
                         p->id ? p->id : "?", sleep_target_to_string(p->target),
                         format_wall_time(at, sizeof at, p->suspend_realtime_usec) ? at : "soon");
        return buf;
}

/* Last step: hand the suspend to systemd, then answer. */
static void schedule_act(SuspendRequest *r) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        Manager *m = r->manager;
        EventRequest ev;
        sd_id128_t id;
        HelperRequest helper;
        int k;

        if (r->plan.flags & HOSTPM_FLAG_DRY_RUN) {
                /* validated and authorized, nothing scheduled: no id */
                (void) sd_bus_reply_method_return(r->message, "stt", "", r->plan.suspend_realtime_usec,
                                                  suspend_plan_wake_usec(&r->plan));
                request_free(r);
                return;
        }

        k = sd_id128_randomize(&id);
        if (k < 0) {
                request_failf(r, SD_BUS_ERROR_FAILED, "Failed to generate a request id: %s", STRERROR(k));
                return;
        }
        sd_id128_to_string(id, r->id);

        helper = (HelperRequest) {
                .id = r->id,
                .target = r->plan.target,
                .duration_sec = r->plan.duration_sec,
                .wake_realtime_usec = r->plan.wake_realtime_usec,
                .ignore_inhibitors = r->plan.flags & HOSTPM_FLAG_IGNORE_INHIBITORS,
                .rtc_device = m->config.rtc_device,
                .wake_on_lan = m->config.wake_on_lan_interfaces,
                .requester_uid = r->uid,
                .requester_pid = r->pid,
        };

        /* The plan's times are taken now: the timer starts counting now. */
        r->plan.suspend_realtime_usec = clock_now_usec(CLOCK_REALTIME) + r->plan.delay_usec;
        k = schedule_start(m->bus, &r->plan, &helper, &error);
        manager_forget_pending(m);
        if (k < 0) {
                if (sd_bus_error_has_name(&error, "org.freedesktop.systemd1.UnitExists")) {
                        /* lost a race with another caller: the fixed unit name is the guard */
                        const Pending *p = NULL;
                        char buf[512];

                        r->id[0] = '\0';
                        if (manager_get_pending(m, &p, NULL) > 0)
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
        journal_event_scheduled(&ev);
        (void) sd_bus_reply_method_return(r->message, "stt", r->id, r->plan.suspend_realtime_usec,
                                          suspend_plan_wake_usec(&r->plan));
        (void) manager_emit_scheduled(m, r->id, r->plan.target, r->plan.suspend_realtime_usec,
                                      suspend_plan_wake_usec(&r->plan));
        manager_follow(m, r->id);
        request_free(r);
}

static void cancel_act(SuspendRequest *r) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        Manager *m = r->manager;
        const Pending *p = NULL;
        EventRequest ev;
        int k;

        /* Ask again: the timer may have fired while polkit thought. */
        manager_forget_pending(m);
        k = manager_get_pending(m, &p, &error);
        if (k < 0) {
                request_failf(r, SD_BUS_ERROR_FAILED, "Failed to read the pending suspend from systemd: %s",
                              error.message ? error.message : STRERROR(k));
                return;
        }
        if (k == 0) {
                request_failf(r, HOSTPM_ERROR_NOTHING_PENDING, "No suspend is pending; nothing to cancel.");
                return;
        }
        snprintf(r->id, sizeof r->id, "%s", p->id ? p->id : "");
        r->plan.target = p->target;
        r->plan.duration_sec = p->duration_sec;
        if (p->state == PENDING_SUSPENDING) {
                request_failf(r, HOSTPM_ERROR_TOO_LATE,
                              "Too late to cancel request %s: the suspend has started; the RTC alarm will wake "
                              "the host.", r->id);
                return;
        }

        k = schedule_stop_timer(m->bus, &error);
        manager_forget_pending(m);
        if (k < 0) {
                request_failf(r, SD_BUS_ERROR_FAILED, "Failed to stop %s: %s", SCHEDULE_TIMER_UNIT,
                              error.message ? error.message : STRERROR(k));
                return;
        }
        /* The timer may have elapsed between our look and the stop; the
         * helper then owns the suspend and is never stopped by us. */
        if (manager_get_pending(m, &p, NULL) > 0 && p->state == PENDING_SUSPENDING) {
                request_failf(r, HOSTPM_ERROR_TOO_LATE,
                              "Too late to cancel request %s: the timer fired while cancelling; the RTC alarm "
                              "will wake the host.", r->id);
                return;
        }

        ev = event_request(r);
        journal_event_cancelled(&ev, "cancelled by request");
        (void) sd_bus_reply_method_return(r->message, "s", r->id);
        (void) manager_emit_cancelled(m, r->id);
        request_free(r);
}

static void request_authorize(SuspendRequest *r);

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
        if (r->kind == REQUEST_SCHEDULE)
                schedule_act(r);
        else
                cancel_act(r);
}

/* Polkit comes after every check that needs no password, so nobody is
 * asked to authenticate for a request that would be refused anyway. */
static void request_authorize(SuspendRequest *r) {
        const char *action;
        char duration[DURATION_MAX_STRING];
        int k;

        if (r->kind == REQUEST_CANCEL)
                action = HOSTPM_ACTION_CANCEL;
        else if (r->plan.flags & HOSTPM_FLAG_IGNORE_INHIBITORS && r->inhibitor_override_authorized)
                action = HOSTPM_ACTION_IGNORE_INHIBITORS;
        else
                action = HOSTPM_ACTION_SUSPEND;

        format_duration(duration, sizeof duration, r->plan.duration_sec * USEC_PER_SEC);
        const char *details[] = {
                "target", r->kind == REQUEST_SCHEDULE ? sleep_target_to_string(r->plan.target) : "",
                "duration", r->kind == REQUEST_SCHEDULE ? duration : "",
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

static void schedule_capabilities_ready(Manager *m, const Capabilities *c, void *userdata) {
        SuspendRequest *r = userdata;
        const char *target = sleep_target_to_string(r->plan.target);

        r->capabilities_waiter = NULL;  /* consumed */

        if (c->query_error != 0) {
                request_failf(r, HOSTPM_ERROR_CAPABILITIES_UNKNOWN,
                              "Cannot tell whether the host supports '%s': logind could not be asked (%s); "
                              "nothing was scheduled.",
                              target, c->query_error_message ? c->query_error_message : STRERROR(c->query_error));
                return;
        }
        if (!capabilities_target_supported(c, r->plan.target)) {
                request_failf(r, HOSTPM_ERROR_UNSUPPORTED_TARGET,
                              "This host does not support sleep target '%s' (logind answered '%s'); "
                              "see hostpm-suspend --capabilities for what it supports.",
                              target, c->targets[r->plan.target].raw ? c->targets[r->plan.target].raw : "?");
                return;
        }
        if (!c->rtc.present || !c->rtc.has_wakealarm) {
                request_failf(r, HOSTPM_ERROR_NO_WAKE_ALARM,
                              "RTC %s has no wake alarm (%s/class/rtc/%s/wakealarm); hostpm never suspends "
                              "a host it cannot wake. Set RTCDevice= in hostpm.conf to a device that has one.",
                              c->rtc.device, rtc_sysfs_root(), c->rtc.device);
                return;
        }
        if (c->rtc.wakeup == RTC_WAKEUP_DISABLED) {
                request_failf(r, HOSTPM_ERROR_NO_WAKE_ALARM,
                              "RTC %s may not wake the system (its power/wakeup is 'disabled'); enable it "
                              "with: echo enabled > %s/class/rtc/%s/device/power/wakeup",
                              c->rtc.device, rtc_sysfs_root(), c->rtc.device);
                return;
        }
        request_authorize(r);
}

static int schedule_common(sd_bus_message *message, Manager *m, const SuspendPlan *plan) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        SuspendRequest *r;
        const Pending *p = NULL;
        int k;

        k = request_new(m, message, REQUEST_SCHEDULE, &r);
        if (k < 0)
                return k;
        r->plan = *plan;

        /* Busy is known without asking anyone; the fixed unit name still
         * guards the race between two callers that both got this far. */
        k = manager_get_pending(m, &p, &error);
        if (k < 0) {
                request_failf(r, SD_BUS_ERROR_FAILED, "Failed to ask systemd what is pending: %s",
                              error.message ? error.message : STRERROR(k));
                return 1;
        }
        if (k > 0) {
                char buf[512];

                request_failf(r, HOSTPM_ERROR_BUSY, "%s", busy_message(p, buf, sizeof buf));
                return 1;
        }

        k = host_capabilities_wait(m, schedule_capabilities_ready, r, NULL, &r->capabilities_waiter);
        if (k < 0) {
                request_failf(r, SD_BUS_ERROR_FAILED, "Failed to ask logind for the host's capabilities: %s",
                              STRERROR(k));
                return 1;
        }
        return 1;
}

/* Refusals before a request exists (bad arguments, nothing to cancel) are
 * journaled too, naming the caller and what was asked. */
static int refuse_early(sd_bus_message *message, const sd_bus_error *error, const char *target, uint64_t asked_usec) {
        _cleanup_(sd_bus_creds_unrefp) sd_bus_creds *creds = NULL;
        EventRequest ev = { .target = target, .asked_usec = asked_usec, .requester_uid = (uid_t) -1 };

        if (sd_bus_query_sender_creds(message, SD_BUS_CREDS_EUID | SD_BUS_CREDS_PID, &creds) >= 0) {
                (void) sd_bus_creds_get_euid(creds, &ev.requester_uid);
                (void) sd_bus_creds_get_pid(creds, &ev.requester_pid);
        }
        journal_event_refused(&ev, error->message);
        return -sd_bus_error_get_errno(error);
}

int method_schedule_suspend(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        uint64_t duration_usec, delay_usec, flags;
        const char *target;
        SuspendPlan plan;
        int k;

        manager_touch(m);
        k = sd_bus_message_read(message, "sttt", &target, &duration_usec, &delay_usec, &flags);
        if (k < 0)
                return k;

        k = suspend_plan_for_duration(&m->config, target, duration_usec, delay_usec, flags,
                                      clock_now_usec(CLOCK_REALTIME), &plan, error);
        if (k < 0)
                return refuse_early(message, error, target, duration_usec);

        return schedule_common(message, m, &plan);
}

int method_schedule_suspend_until(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        uint64_t wake_usec, delay_usec, flags, now;
        const char *target;
        SuspendPlan plan;
        int k;

        manager_touch(m);
        k = sd_bus_message_read(message, "sttt", &target, &wake_usec, &delay_usec, &flags);
        if (k < 0)
                return k;

        now = clock_now_usec(CLOCK_REALTIME);
        k = suspend_plan_for_wake_time(&m->config, target, wake_usec, delay_usec, flags, now, &plan, error);
        if (k < 0)
                return refuse_early(message, error, target, wake_usec > now ? wake_usec - now : 0);

        return schedule_common(message, m, &plan);
}

int method_cancel_suspend(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        SuspendRequest *r;
        const Pending *p = NULL;
        int k;

        manager_touch(m);
        k = manager_get_pending(m, &p, error);
        if (k < 0)
                return k;
        if (k == 0) {
                sd_bus_error_set(error, HOSTPM_ERROR_NOTHING_PENDING, "No suspend is pending; nothing to cancel.");
                return refuse_early(message, error, NULL, 0);
        }
        if (p->state == PENDING_SUSPENDING) {
                sd_bus_error_setf(error, HOSTPM_ERROR_TOO_LATE,
                                  "Too late to cancel request %s: the suspend has started; the RTC alarm "
                                  "will wake the host.", p->id ? p->id : "?");
                return refuse_early(message, error, sleep_target_to_string(p->target),
                                    p->duration_sec * USEC_PER_SEC);
        }

        k = request_new(m, message, REQUEST_CANCEL, &r);
        if (k < 0)
                return k;
        request_authorize(r);
        return 1;
}
