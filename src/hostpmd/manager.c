/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <stddef.h>
#include <systemd/sd-daemon.h>

#include "bus-errors.h"
#include "bus-name-owner.h"
#include "bus-names.h"
#include "capabilities-xml.h"
#include "history-bus.h"
#include "log.h"
#include "manager.h"
#include "next-timer.h"
#include "outcome.h"
#include "rtc-range.h"
#include "rtc.h"
#include "test-seam.h"

/* How long hostpmd stays with nothing to do before it exits; D-Bus
 * activation brings it back on the next call. */
#define IDLE_TIMEOUT_USEC (30 * USEC_PER_SEC)

static uint64_t idle_timeout_usec(void) {
        const char *e = test_seam_getenv(TEST_SEAM_IDLE_TIMEOUT_USEC);
        unsigned long long v;

        if (!isempty(e) && sscanf(e, "%llu", &v) == 1 && v > 0)
                return v;
        return IDLE_TIMEOUT_USEC;
}

/* How far the RTC's alarm reaches decides the legs of every sleep
 * (sleep-legs.h): WakeAlarmRange=, else what the firmware says, else a day. */
static void manager_find_alarm_range(Manager *m) {
        _cleanup_(rtc_info_done) RtcInfo info = {0};
        RtcAlarmRange detected;
        int r;

        (void) rtc_read_info(rtc_sysfs_root(), m->config.rtc_device, &info);
        r = rtc_alarm_range_read(rtc_sysfs_root(), info.name, &detected);
        if (r < 0 && m->config.wake_alarm_range_usec == 0)
                log_info("How far ahead RTC %s (%s) takes an alarm is not known (%s); sleeps longer than %" PRIu64
                         " s are slept in legs (WakeAlarmRange= says otherwise).", m->config.rtc_device,
                         info.name ? info.name : "driver unknown", STRERROR(r), detected.seconds);
        m->config.alarm_range_sec = rtc_alarm_range_effective(&m->config, &detected);
}

int manager_new(Manager **ret) {
        _cleanup_(manager_freep) Manager *m = NULL;
        _cleanup_free_ char *error = NULL;
        int r;

        m = calloc(1, sizeof *m);
        if (!m)
                return log_oom();
        config_init_defaults(&m->config);

        /* A bad configuration stops hostpmd: guessing what an admin meant
         * about sleep limits is how hosts get lost. */
        r = config_load(config_dir(), &m->config, &error);
        if (r < 0)
                return log_error_errno(r, "Refusing to start: %s", error ? error : STRERROR(r));
        manager_find_alarm_range(m);

        r = sd_event_default(&m->event);
        if (r < 0)
                return log_error_errno(r, "Failed to allocate the event loop: %s", STRERROR(r));
        (void) sd_event_set_watchdog(m->event, true);
        r = sd_event_set_signal_exit(m->event, true);
        if (r < 0)
                return log_error_errno(r, "Failed to install SIGTERM/SIGINT handling: %s", STRERROR(r));

        *ret = TAKE_PTR(m);
        return 0;
}

Manager *manager_free(Manager *m) {
        if (!m)
                return NULL;
        stay_awake_done(&m->stay_awake);
        if (m->requests.ops)
                requests_done(&m->requests);
        host_capabilities_free(m->capabilities);
        pending_cache_done(&m->pending);
        idle_exit_free(m->idle);
        free(m->followed_id);
        bus_name_owner_free(m->systemd);
        sd_bus_flush_close_unref(m->bus);
        sd_event_unref(m->event);
        config_done(&m->config);
        free(m);
        return NULL;
}

static int property_get_pending(
                sd_bus *bus, const char *path, const char *interface, const char *property,
                sd_bus_message *reply, void *userdata, sd_bus_error *error) {

        Manager *m = userdata;
        const Pending *p = NULL;
        int r;

        r = pending_cache_get(&m->pending, &p, error);
        if (r < 0)
                return r;
        if (streq(property, "PendingId"))
                return sd_bus_message_append(reply, "s", p->id ? p->id : "");
        if (streq(property, "PendingState"))
                return sd_bus_message_append(reply, "s", pending_state_to_string(p->state));
        if (streq(property, "PendingTarget"))
                return sd_bus_message_append(reply, "s", r > 0 ? sleep_target_to_string(p->target) : "");
        if (streq(property, "PendingSuspendUSec"))
                return sd_bus_message_append(reply, "t", p->suspend_realtime_usec);
        if (streq(property, "PendingWakeUSec")) {
                uint64_t wake = p->wake_realtime_usec;

                if (wake == 0 && p->suspend_realtime_usec > 0)
                        wake = usec_add(p->suspend_realtime_usec, usec_from_sec(p->duration_sec));
                return sd_bus_message_append(reply, "t", wake);
        }
        if (streq(property, "PendingDurationUSec")) {
                uint64_t d = usec_from_sec(p->duration_sec);

                /* a wake time asks for what lies between suspend and wake */
                if (d == 0 && p->wake_realtime_usec > p->suspend_realtime_usec && p->suspend_realtime_usec > 0)
                        d = p->wake_realtime_usec - p->suspend_realtime_usec;
                return sd_bus_message_append(reply, "t", d);
        }
        if (streq(property, "PendingRequesterUID"))
                return sd_bus_message_append(reply, "u", r > 0 ? (uint32_t) p->requester_uid : UINT32_MAX);
        return -ENOENT;
}

static int property_get_last(
                sd_bus *bus, const char *path, const char *interface, const char *property,
                sd_bus_message *reply, void *userdata, sd_bus_error *error) {

        _cleanup_(outcome_done) Outcome o = {0};
        bool have;
        int r;

        r = outcome_read(outcome_state_dir(), &o);
        if (r < 0 && r != -ENOENT)
                log_warning("Failed to read the last outcome from %s, reporting none: %s",
                            outcome_state_dir(), STRERROR(r));
        have = r >= 0;

        if (streq(property, "LastId"))
                return sd_bus_message_append(reply, "s", have ? o.id : "");
        if (streq(property, "LastTarget"))
                return sd_bus_message_append(reply, "s", have ? o.target : "");
        if (streq(property, "LastResult"))
                return sd_bus_message_append(reply, "s", have ? outcome_result_to_string(o.result) : "");
        if (streq(property, "LastError"))
                return sd_bus_message_append(reply, "s", have ? o.error : "");
        if (streq(property, "LastAskedUSec"))
                return sd_bus_message_append(reply, "t", have ? o.asked_usec : UINT64_C(0));
        if (streq(property, "LastSleptUSec"))
                return sd_bus_message_append(reply, "t", have ? o.slept_usec : UINT64_C(0));
        if (streq(property, "LastWokenByAlarm"))
                return sd_bus_message_append(reply, "b", have && o.woken_by_alarm);
        if (streq(property, "LastSuspendUSec"))
                return sd_bus_message_append(reply, "t", have ? o.started_realtime_usec : UINT64_C(0));
        if (streq(property, "LastResumeUSec"))
                return sd_bus_message_append(reply, "t", have ? o.resumed_realtime_usec : UINT64_C(0));
        if (streq(property, "LastLegs")) {
                r = sd_bus_message_open_container(reply, 'a', "(sttbttt)");
                for (size_t i = 0; r >= 0 && have && i < o.n_legs; i++) {
                        const OutcomeLeg *l = &o.legs[i];

                        r = sd_bus_message_append(reply, "(sttbttt)", sleep_target_to_string(l->target),
                                                  l->asked_usec, l->slept_usec, (int) l->woken_by_alarm, l->alarm,
                                                  l->started_realtime_usec, l->resumed_realtime_usec);
                }
                return r < 0 ? r : sd_bus_message_close_container(reply);
        }
        return -ENOENT;
}

static int property_get_allowed_targets(
                sd_bus *bus, const char *path, const char *interface, const char *property,
                sd_bus_message *reply, void *userdata, sd_bus_error *error) {

        Manager *m = userdata;
        int r;

        r = sd_bus_message_open_container(reply, 'a', "s");
        for (SleepTarget t = 0; r >= 0 && t < _SLEEP_TARGET_MAX; t++)
                if (m->config.allowed_targets[t])
                        r = sd_bus_message_append(reply, "s", sleep_target_to_string(t));
        if (r < 0)
                return r;
        return sd_bus_message_close_container(reply);
}

static void reply_capabilities(const Capabilities *c, void *userdata) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *message = userdata;
        _cleanup_free_ char *xml = NULL;
        int r;

        r = capabilities_to_xml(c, &xml);
        if (r < 0)
                r = sd_bus_reply_method_errnof(message, r, "Failed to format the capabilities: %s", STRERROR(r));
        else
                r = sd_bus_reply_method_return(message, "s", xml);
        if (r < 0)
                log_debug("Failed to reply to GetCapabilities(): %s", STRERROR(r));
}

static void message_unref(void *message) {
        sd_bus_message_unref(message);
}

static int method_get_capabilities(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        int r;

        r = host_capabilities_wait(m->capabilities, reply_capabilities, sd_bus_message_ref(message), message_unref,
                                   NULL);
        if (r < 0) {
                sd_bus_message_unref(message);
                return r;
        }
        return 1;
}

static int property_get_stay_awake(
                sd_bus *bus, const char *path, const char *interface, const char *property,
                sd_bus_message *reply, void *userdata, sd_bus_error *error) {

        Manager *m = userdata;
        const char *id = stay_awake_id(&m->stay_awake);

        if (streq(property, "StayAwakeId"))
                return sd_bus_message_append(reply, "s", id ? id : "");
        return sd_bus_message_append(reply, "t", stay_awake_until_usec(&m->stay_awake));
}

static int property_get_next_timers(
                sd_bus *bus, const char *path, const char *interface, const char *property,
                sd_bus_message *reply, void *userdata, sd_bus_error *error) {

        Manager *m = userdata;

        return sd_bus_message_append(reply, "s", m->config.next_timer_all ? "all" : "wake-system");
}

static const sd_bus_vtable manager_vtable[] = {
        SD_BUS_VTABLE_START(0),

        SD_BUS_PROPERTY("PendingId", "s", property_get_pending, 0, SD_BUS_VTABLE_PROPERTY_EMITS_INVALIDATION),
        SD_BUS_PROPERTY("PendingState", "s", property_get_pending, 0, SD_BUS_VTABLE_PROPERTY_EMITS_INVALIDATION),
        SD_BUS_PROPERTY("PendingTarget", "s", property_get_pending, 0, SD_BUS_VTABLE_PROPERTY_EMITS_INVALIDATION),
        SD_BUS_PROPERTY("PendingSuspendUSec", "t", property_get_pending, 0, SD_BUS_VTABLE_PROPERTY_EMITS_INVALIDATION),
        SD_BUS_PROPERTY("PendingWakeUSec", "t", property_get_pending, 0, SD_BUS_VTABLE_PROPERTY_EMITS_INVALIDATION),
        SD_BUS_PROPERTY("PendingDurationUSec", "t", property_get_pending, 0, SD_BUS_VTABLE_PROPERTY_EMITS_INVALIDATION),
        SD_BUS_PROPERTY("PendingRequesterUID", "u", property_get_pending, 0, SD_BUS_VTABLE_PROPERTY_EMITS_INVALIDATION),
        SD_BUS_PROPERTY("LastId", "s", property_get_last, 0, SD_BUS_VTABLE_PROPERTY_EMITS_INVALIDATION),
        SD_BUS_PROPERTY("LastTarget", "s", property_get_last, 0, SD_BUS_VTABLE_PROPERTY_EMITS_INVALIDATION),
        SD_BUS_PROPERTY("LastResult", "s", property_get_last, 0, SD_BUS_VTABLE_PROPERTY_EMITS_INVALIDATION),
        SD_BUS_PROPERTY("LastError", "s", property_get_last, 0, SD_BUS_VTABLE_PROPERTY_EMITS_INVALIDATION),
        SD_BUS_PROPERTY("LastAskedUSec", "t", property_get_last, 0, SD_BUS_VTABLE_PROPERTY_EMITS_INVALIDATION),
        SD_BUS_PROPERTY("LastSleptUSec", "t", property_get_last, 0, SD_BUS_VTABLE_PROPERTY_EMITS_INVALIDATION),
        SD_BUS_PROPERTY("LastWokenByAlarm", "b", property_get_last, 0, SD_BUS_VTABLE_PROPERTY_EMITS_INVALIDATION),
        SD_BUS_PROPERTY("LastSuspendUSec", "t", property_get_last, 0, SD_BUS_VTABLE_PROPERTY_EMITS_INVALIDATION),
        SD_BUS_PROPERTY("LastResumeUSec", "t", property_get_last, 0, SD_BUS_VTABLE_PROPERTY_EMITS_INVALIDATION),
        SD_BUS_PROPERTY("LastLegs", "a(sttbttt)", property_get_last, 0, SD_BUS_VTABLE_PROPERTY_EMITS_INVALIDATION),
        SD_BUS_PROPERTY("DelayUSec", "t", NULL, offsetof(Manager, config.delay_usec), SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("MinimumDurationUSec", "t", NULL, offsetof(Manager, config.minimum_duration_usec),
                        SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("MaximumDurationUSec", "t", NULL, offsetof(Manager, config.maximum_duration_usec),
                        SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("AllowedTargets", "as", property_get_allowed_targets, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("NextTimerLeadUSec", "t", NULL, offsetof(Manager, config.next_timer_lead_usec),
                        SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("NextTimers", "s", property_get_next_timers, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("StayAwakeAfterWakeUSec", "t", NULL, offsetof(Manager, config.stay_awake_usec),
                        SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("StayAwakeId", "s", property_get_stay_awake, 0, SD_BUS_VTABLE_PROPERTY_EMITS_INVALIDATION),
        SD_BUS_PROPERTY("StayAwakeUntilUSec", "t", property_get_stay_awake, 0,
                        SD_BUS_VTABLE_PROPERTY_EMITS_INVALIDATION),

        SD_BUS_METHOD_WITH_ARGS("GetCapabilities",
                                SD_BUS_NO_ARGS,
                                SD_BUS_RESULT("s", xml),
                                method_get_capabilities,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetHistory",
                                SD_BUS_ARGS("t", since_usec),
                                SD_BUS_RESULT("a(tsssttsttus)", entries, "a(sst)", counts, "t", slept_usec,
                                              "u", unreadable),
                                method_get_history,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS_OFFSET("ScheduleSuspend",
                                SD_BUS_ARGS("s", target, "t", duration_usec, "t", delay_usec, "t", flags),
                                SD_BUS_RESULT("s", id, "t", suspend_usec, "t", wake_usec),
                                method_schedule_suspend,
                                offsetof(Manager, requests),
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS_OFFSET("ScheduleSuspendUntil",
                                SD_BUS_ARGS("s", target, "t", wake_usec, "t", delay_usec, "t", flags),
                                SD_BUS_RESULT("s", id, "t", suspend_usec, "t", wake_usec),
                                method_schedule_suspend_until,
                                offsetof(Manager, requests),
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS_OFFSET("ScheduleSuspendUntilNextTimer",
                                SD_BUS_ARGS("s", target, "t", duration_usec, "t", wake_usec, "t", delay_usec,
                                            "t", flags),
                                SD_BUS_RESULT("s", id, "t", suspend_usec, "t", wake_usec, "s", timer,
                                              "t", timer_usec, "b", timer_decided),
                                method_schedule_suspend_until_next_timer,
                                offsetof(Manager, requests),
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS_OFFSET("CancelSuspend",
                                SD_BUS_NO_ARGS,
                                SD_BUS_RESULT("s", id),
                                method_cancel_suspend,
                                offsetof(Manager, requests),
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS_OFFSET("CancelSuspendById",
                                SD_BUS_ARGS("s", id),
                                SD_BUS_RESULT("s", id),
                                method_cancel_suspend_by_id,
                                offsetof(Manager, requests),
                                SD_BUS_VTABLE_UNPRIVILEGED),

        SD_BUS_SIGNAL_WITH_ARGS("SuspendScheduled",
                                SD_BUS_ARGS("s", id, "s", target, "t", suspend_usec, "t", wake_usec),
                                0),
        SD_BUS_SIGNAL_WITH_ARGS("SuspendCancelled",
                                SD_BUS_ARGS("s", id),
                                0),
        SD_BUS_SIGNAL_WITH_ARGS("SuspendFinished",
                                SD_BUS_ARGS("s", id, "s", result, "t", asked_usec, "t", slept_usec,
                                            "b", woken_by_alarm, "s", error),
                                0),
        SD_BUS_VTABLE_END
};

static void emit_invalidation(Manager *m) {
        pending_cache_forget(&m->pending);
        (void) sd_bus_emit_properties_changed(m->bus, HOSTPM_OBJECT_PATH, HOSTPM_MANAGER_IFACE,
                                              "PendingId", "PendingState", "PendingTarget", "PendingSuspendUSec",
                                              "PendingWakeUSec", "PendingDurationUSec", "PendingRequesterUID",
                                              "LastId", "LastTarget", "LastResult", "LastError", "LastAskedUSec",
                                              "LastSleptUSec", "LastWokenByAlarm", "LastSuspendUSec",
                                              "LastResumeUSec", "LastLegs", NULL);
}

static void manager_follow(Manager *m, const char *id) {
        char *copy = id && id[0] ? strdup(id) : NULL;

        free(m->followed_id);
        m->followed_id = copy;  /* NULL on OOM: only the announcement's id is at stake */
}

/* Reads which request is pending, to follow it. */
static void follow_pending(Manager *m) {
        const Pending *p = NULL;

        pending_cache_forget(&m->pending);
        if (pending_cache_get(&m->pending, &p, NULL) > 0 && p->id)
                manager_follow(m, p->id);
}

/* What the requests report back. */
static void request_scheduled(void *owner, const char *id, SleepTarget target, uint64_t suspend_usec,
                              uint64_t wake_usec) {
        Manager *m = owner;

        emit_invalidation(m);
        (void) sd_bus_emit_signal(m->bus, HOSTPM_OBJECT_PATH, HOSTPM_MANAGER_IFACE, "SuspendScheduled", "sstt", id,
                                  sleep_target_to_string(target), suspend_usec, wake_usec);
        manager_follow(m, id);
}

static void request_cancelled(void *owner, const char *id) {
        Manager *m = owner;

        emit_invalidation(m);
        (void) sd_bus_emit_signal(m->bus, HOSTPM_OBJECT_PATH, HOSTPM_MANAGER_IFACE, "SuspendCancelled", "s", id);
}

static const RequestOps request_ops = {
        .scheduled = request_scheduled,
        .cancelled = request_cancelled,
};

/* The helper's service finished: what it recorded is the outcome. */
static int match_job_removed(sd_bus_message *message, void *userdata, sd_bus_error *ret_error) {
        Manager *m = userdata;
        _cleanup_(outcome_done) Outcome o = {0};
        _cleanup_free_ char *followed = NULL;
        const Pending *p = NULL;
        const char *path, *unit, *result;
        uint32_t id;
        int r;

        if (!bus_name_owner_sent(m->systemd, message))
                return 0;
        r = sd_bus_message_read(message, "uoss", &id, &path, &unit, &result);
        if (r < 0 || !streq(unit, SCHEDULE_SERVICE_UNIT))
                return 0;

        idle_exit_touch(m->idle);
        emit_invalidation(m);
        stay_awake_check(&m->stay_awake);

        /* A cancelled start job (the unit being stopped) ends before the
         * helper does: it is over when the helper has exited, and a later
         * JobRemoved (of the stop job) says so. */
        if (pending_cache_get(&m->pending, &p, NULL) > 0 && p->state == PENDING_SUSPENDING)
                return 0;

        r = outcome_read(outcome_state_dir(), &o);

        /* The helper still waits for the resume (its unit was stopped while
         * the host sleeps, and it rightly stays): nothing has finished. */
        if (r >= 0 && o.result == OUTCOME_SUSPENDING && (!m->followed_id || streq(o.id, m->followed_id)))
                return 0;

        followed = TAKE_PTR(m->followed_id);
        if (r < 0 || (followed && !streq(o.id, followed))) {
                /* No record of this request: the helper never got to write
                 * one. Never announce an earlier request's outcome as this
                 * one's. */
                if (r < 0 && r != -ENOENT)
                        log_warning("Failed to read the outcome record: %s", STRERROR(r));
                log_warning("%s finished (%s) without an outcome record for request %s.", unit, result,
                            followed ? followed : "?");
                return sd_bus_emit_signal(m->bus, HOSTPM_OBJECT_PATH, HOSTPM_MANAGER_IFACE, "SuspendFinished",
                                          "ssttbs", followed ? followed : "", "failed", UINT64_C(0), UINT64_C(0), 0,
                                          "the helper left no outcome record; see journalctl -u "
                                          SCHEDULE_SERVICE_UNIT);
        }
        return sd_bus_emit_signal(m->bus, HOSTPM_OBJECT_PATH, HOSTPM_MANAGER_IFACE, "SuspendFinished",
                                  "ssttbs", o.id, outcome_result_to_string(o.result), o.asked_usec, o.slept_usec,
                                  (int) o.woken_by_alarm, o.error);
}

/* The timer fired: the pending request is now suspending. */
static int match_job_new(sd_bus_message *message, void *userdata, sd_bus_error *ret_error) {
        Manager *m = userdata;
        const char *path, *unit;
        uint32_t id;

        if (!bus_name_owner_sent(m->systemd, message))
                return 0;
        if (sd_bus_message_read(message, "uos", &id, &path, &unit) >= 0 && streq(unit, SCHEDULE_SERVICE_UNIT)) {
                idle_exit_touch(m->idle);
                emit_invalidation(m);
                follow_pending(m);
        }
        return 0;
}

/* Calls in flight: always answered before hostpmd exits. */
static bool manager_busy(void *userdata) {
        Manager *m = userdata;

        return requests_busy(&m->requests) || host_capabilities_busy(m->capabilities) ||
               stay_awake_busy(&m->stay_awake);
}

/* Stay while a suspend is pending, to tell followers how it ended. */
static bool manager_has_pending(void *userdata) {
        Manager *m = userdata;
        const Pending *p = NULL;

        pending_cache_forget(&m->pending);
        return pending_cache_get(&m->pending, &p, NULL) != 0;
}

/* A call of hostpm's interface is activity (reading properties is not). */
static int filter_activity(sd_bus_message *message, void *userdata, sd_bus_error *ret_error) {
        Manager *m = userdata;

        if (sd_bus_message_is_method_call(message, HOSTPM_MANAGER_IFACE, NULL))
                idle_exit_touch(m->idle);
        return 0;
}

int manager_connect_bus(Manager *m) {
        int r;

        r = bus_errors_register();
        if (r < 0)
                return log_error_errno(r, "Failed to register hostpm's D-Bus errors: %s", STRERROR(r));

        r = sd_bus_default_system(&m->bus);
        if (r < 0)
                return log_error_errno(r, "Failed to connect to the system bus: %s", STRERROR(r));

        pending_cache_init(&m->pending, m->bus, m->event);
        r = host_capabilities_new(m->bus, m->event, &m->config, rtc_sysfs_root(), &m->capabilities);
        if (r < 0)
                return log_error_errno(r, "Failed to set up the capabilities: %s", STRERROR(r));
        m->requests = (Requests) {
                .bus = m->bus,
                .config = &m->config,
                .capabilities = m->capabilities,
                .pending = &m->pending,
                .ops = &request_ops,
                .owner = m,
        };

        r = sd_bus_add_object_vtable(m->bus, NULL, HOSTPM_OBJECT_PATH, HOSTPM_MANAGER_IFACE, manager_vtable, m);
        if (r < 0)
                return log_error_errno(r, "Failed to register %s: %s", HOSTPM_OBJECT_PATH, STRERROR(r));

        /* anyone may send us a JobRemoved: only PID 1's own connection counts */
        r = bus_name_owner_new(m->bus, SYSTEMD_BUS_NAME, &m->systemd);
        if (r < 0)
                return log_error_errno(r, "Failed to follow who owns %s: %s", SYSTEMD_BUS_NAME, STRERROR(r));
        r = sd_bus_match_signal_async(m->bus, NULL, SYSTEMD_BUS_NAME, SYSTEMD_OBJECT_PATH, SYSTEMD_MANAGER_IFACE,
                                      "JobRemoved", match_job_removed, NULL, m);
        if (r < 0)
                return log_error_errno(r, "Failed to watch systemd's jobs: %s", STRERROR(r));
        r = sd_bus_match_signal_async(m->bus, NULL, SYSTEMD_BUS_NAME, SYSTEMD_OBJECT_PATH, SYSTEMD_MANAGER_IFACE,
                                      "JobNew", match_job_new, NULL, m);
        if (r < 0)
                return log_error_errno(r, "Failed to watch systemd's jobs: %s", STRERROR(r));
        /* systemd only sends JobNew and JobRemoved to subscribers */
        r = sd_bus_call_method_async(m->bus, NULL, SYSTEMD_BUS_NAME, SYSTEMD_OBJECT_PATH, SYSTEMD_MANAGER_IFACE,
                                     "Subscribe", NULL, NULL, NULL);
        if (r < 0)
                return log_error_errno(r, "Failed to subscribe to systemd: %s", STRERROR(r));

        r = sd_bus_add_filter(m->bus, NULL, filter_activity, m);
        if (r < 0)
                return log_error_errno(r, "Failed to watch for calls: %s", STRERROR(r));
        r = sd_bus_request_name(m->bus, HOSTPM_BUS_NAME, 0);
        if (r < 0)
                return log_error_errno(r, "Failed to acquire %s: %s", HOSTPM_BUS_NAME, STRERROR(r));

        r = sd_bus_attach_event(m->bus, m->event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                return log_error_errno(r, "Failed to attach the bus to the event loop: %s", STRERROR(r));

        /* an earlier hostpmd may have scheduled what is pending */
        follow_pending(m);

        r = idle_exit_new(m->event, m->bus, HOSTPM_BUS_NAME, idle_timeout_usec(), manager_busy, manager_has_pending,
                          m, &m->idle);
        if (r < 0)
                return log_error_errno(r, "Failed to set up the idle timer: %s", STRERROR(r));

        /* a resume an earlier hostpmd saw may not have had its time awake */
        m->stay_awake = (StayAwake) {
                .bus = m->bus,
                .event = m->event,
                .config = &m->config,
                .pending = &m->pending,
                .idle = m->idle,
        };
        stay_awake_check(&m->stay_awake);
        return 0;
}

int manager_run(Manager *m) {
        (void) sd_notify(false, "READY=1\nSTATUS=Processing requests...");
        return sd_event_loop(m->event);
}
