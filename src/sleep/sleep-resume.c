/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* From the Suspend call to the resume: the call itself (and its fallback
 * for logind older than 248), PrepareForSleep from logind's own
 * connection, what the kernel shows about the sleep (sleep-evidence.h),
 * and the bound on the wait. Once the call is sent, only logind saying
 * no, the kernel saying its suspend failed, or the resume being seen clear
 * the alarm (see hostpm-sleep.c). */

#include <inttypes.h>
#include <time.h>

#include "bus-names.h"
#include "hibernate-check.h"
#include "hostpm-sleep.h"
#include "log.h"
#include "rtc-alarm.h"
#include "rtc.h"
#include "sleep-evidence.h"
#include "sleep-unit.h"
#include "timespan.h"

/* SD_LOGIND_ROOT_CHECK_INHIBITORS from systemd's logind headers: makes
 * logind check block inhibitors for root too, in the same decision as the
 * sleep itself. */
#define LOGIND_ROOT_CHECK_INHIBITORS (UINT64_C(1) << 0)

/* This leg's wait has its answer. */
static void wait_done(Context *c, int error) {
        c->wait_over = true;
        c->wait_error = error;
}

void leg_reset(Context *c) {
        c->sleep_call = sd_bus_slot_unref(c->sleep_call);
        c->resume_timeout = sd_event_source_disable_unref(c->resume_timeout);
        c->sleep_started = c->resumed = c->kernel_failed = c->refused = false;
        c->refusal = mfree(c->refusal);
        c->image_failure = mfree(c->image_failure);
        c->committed = c->at_resume = (SleepEvidence) {0};
        c->leg = (OutcomeLeg) {0};
        c->wait_over = false;
        c->wait_error = 0;
}

/* logind's PrepareForSleep(false), and what the kernel says about it. */
static void prepare_for_sleep_ended(Context *c) {
        ResumeEvidence evidence;

        sleep_evidence_read(rtc_sysfs_root(), &c->at_resume);
        evidence = resume_evidence(&c->committed, &c->at_resume);
        if (sleep_target_writes_image(c->leg_target)) {
                SleepUnitRun run;

                /* the clocks jump at the snapshot alone (sleep-unit.h) */
                if (sleep_unit_read(c->bus, c->leg_target, &run) < 0)
                        log_warning("Could not ask systemd about %s; without it a hibernation is not "
                                    "taken as done.", sleep_target_to_sleep_unit(c->leg_target));
                else
                        log_info("%s: %s, result %s, started at %" PRIu64 " us (CLOCK_MONOTONIC; logind was "
                                 "asked at %" PRIu64 ").", sleep_target_to_sleep_unit(c->leg_target),
                                 run.active_state, run.result, run.start_monotonic, c->committed.mono_before_usec);
                free(c->image_failure);
                evidence = image_resume_evidence(c->leg_target, &run, c->committed.mono_before_usec, evidence,
                                                 &c->image_failure);
        }
        switch (evidence) {
        case RESUME_EVIDENCE_SLEPT:
                c->resumed = true;
                break;
        case RESUME_EVIDENCE_SUSPEND_FAILED:
                c->kernel_failed = true;
                break;
        default:
                log_notice("logind says the host resumed, but the kernel shows no sleep since logind was asked "
                           "(no time suspended, suspend_stats %s); the wake alarm stays set and the wait goes on.",
                           c->at_resume.have_stats ? "unchanged" : "unavailable");
                return;
        }
        c->leg.resumed_realtime_usec = clock_now_usec(CLOCK_REALTIME);
        c->leg.slept_usec = sleep_evidence_suspended_usec(&c->committed, &c->at_resume);
        wait_done(c, 0);
}

static int match_prepare_for_sleep(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Context *c = userdata;
        int start, r;

        if (!bus_name_owner_sent(c->logind, m))
                return 0;

        r = sd_bus_message_read(m, "b", &start);  /* "b" reads into an int */
        if (r < 0) {
                log_warning_errno(r, "Failed to parse PrepareForSleep, ignoring: %s", STRERROR(r));
                return 0;
        }

        if (start) {
                if (!c->sleep_started) {
                        c->sleep_started = true;
                        c->leg.started_realtime_usec = clock_now_usec(CLOCK_REALTIME);
                        if (c->outcome.n_legs == 0)
                                c->outcome.started_realtime_usec = c->leg.started_realtime_usec;
                        log_info("logind is putting the host to sleep.");
                }
        } else if (c->sleep_started)
                prepare_for_sleep_ended(c);
        else
                log_debug("PrepareForSleep(false) without a start, ignoring.");
        return 0;
}

int step_subscribe(Context *c) {
        int r;

        /* before the sleep call, or the start could pass unseen; and who
         * logind is, before anything it sends can matter */
        r = bus_name_owner_new(c->bus, LOGIND_BUS_NAME, &c->logind);
        if (r < 0)
                return fail(c, "could not follow who owns %s: %s", LOGIND_BUS_NAME, STRERROR(r));
        r = sd_bus_match_signal(c->bus, &c->prepare_for_sleep, LOGIND_BUS_NAME, LOGIND_OBJECT_PATH,
                                LOGIND_MANAGER_IFACE, "PrepareForSleep", match_prepare_for_sleep, c);
        if (r < 0)
                return fail(c, "could not subscribe to logind's PrepareForSleep: %s", STRERROR(r));
        /* and the hibernation's service kept, to read its result at resume
         * (in a sleep in legs, the part on disk's) */
        for (unsigned part = 0; part < 2; part++) {
                SleepTarget t = sleep_chain_part_target(&c->chain, part);

                if (!sleep_target_writes_image(t))
                        continue;
                r = sleep_unit_ref(c->bus, t);
                if (r < 0)
                        return fail(c, "could not ask systemd to keep %s loaded (RefUnit), so its result "
                                    "could not be seen: %s", sleep_target_to_sleep_unit(t), STRERROR(r));
        }
        return 0;
}

static int call_logind_sleep(Context *c, bool with_flags);

static int reply_sleep(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Context *c = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(m);

        c->sleep_call = sd_bus_slot_unref(c->sleep_call);

        if (!e) {
                log_info("logind accepted %s.", c->method);
                return 0;
        }

        /* logind older than 248: the plain method, interactive=false */
        if (c->with_flags && sd_bus_error_has_name(e, SD_BUS_ERROR_UNKNOWN_METHOD)) {
                log_info("logind has no %s; falling back to the method without flags.", c->method);
                if (call_logind_sleep(c, /* with_flags= */ false) < 0) {
                        /* nothing was sent: logind was not asked */
                        c->refused = true;
                        c->refusal = strdup("could not call logind's method without flags");
                        wait_done(c, 0);
                }
                return 0;
        }

        if (!logind_error_is_refusal(e->name)) {
                log_warning("No answer from logind to %s (%s); it may have accepted, so the wake alarm "
                            "stays set until the resume is seen.", c->method, e->message ? e->message : e->name);
                return 0;
        }

        c->refused = true;
        if (asprintf(&c->refusal, "logind refused %s: %s: %s", c->method, e->name,
                     e->message ? e->message : "no message") < 0)
                c->refusal = NULL;
        wait_done(c, 0);
        return 0;
}

/* Returns < 0 only when the call was not sent. */
static int call_logind_sleep(Context *c, bool with_flags) {
        const char *base = sleep_target_to_logind_method(c->leg_target);
        uint64_t flags = c->args.ignore_inhibitors ? 0 : LOGIND_ROOT_CHECK_INHIBITORS;
        char *method;
        int r;

        if (asprintf(&method, "%s%s", base, with_flags ? "WithFlags" : "") < 0)
                return -ENOMEM;
        free(c->method);
        c->method = method;
        c->with_flags = with_flags;

        if (with_flags)
                r = sd_bus_call_method_async(c->bus, &c->sleep_call, LOGIND_BUS_NAME, LOGIND_OBJECT_PATH,
                                             LOGIND_MANAGER_IFACE, method, reply_sleep, c, "t", flags);
        else
                r = sd_bus_call_method_async(c->bus, &c->sleep_call, LOGIND_BUS_NAME, LOGIND_OBJECT_PATH,
                                             LOGIND_MANAGER_IFACE, method, reply_sleep, c, "b",
                                             /* interactive= */ 0);
        if (r < 0)
                return log_error_errno(r, "Failed to call logind's %s: %s", method, STRERROR(r));
        return 0;
}

static int on_resume_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        wait_done(userdata, -ETIMEDOUT);
        return 0;
}

int step_sleep(Context *c) {
        uint64_t now;
        int r;

        c->leg.started_realtime_usec = clock_now_usec(CLOCK_REALTIME);
        if (c->outcome.n_legs == 0)
                c->outcome.started_realtime_usec = c->leg.started_realtime_usec;
        record(c, OUTCOME_SUSPENDING);
        journal_event(JOURNAL_EVENT_STARTED, &c->request, &(const EventDetails) { .alarm = c->outcome.alarm });

        r = pending_stop_signal();
        if (r > 0)
                return cancel(c, r);

        /* Any interval containing the sleep measures it: BOOTTIME - MONOTONIC
         * grows only while suspended. Taking "before" here, not at
         * PrepareForSleep(true), survives a late dispatch of that signal. */
        sleep_evidence_read(rtc_sysfs_root(), &c->committed);

        r = call_logind_sleep(c, /* with_flags= */ true);
        if (r < 0) {
                clear_alarm(c);
                return fail(c, "could not ask logind to sleep: %s", STRERROR(r));
        }
        /* Committed: from here on see the top of the file. */

        /* MONOTONIC stops while suspended: the bound counts time awake, so it
         * cannot run out in the middle of a sleep (not even in the wake-up
         * between suspend and hibernate). */
        r = sd_event_now(c->event, CLOCK_MONOTONIC, &now);
        if (r >= 0)
                r = sd_event_add_time(c->event, &c->resume_timeout, CLOCK_MONOTONIC, now + resume_wait_usec(c->leg_seconds),
                                      USEC_PER_SEC, on_resume_timeout, c);
        if (r < 0)
                log_warning_errno(r, "Failed to arm the resume timeout, waiting without it: %s", STRERROR(r));

        return 0;
}

int step_wait_for_resume(Context *c) {
        uint64_t now;
        int r = 0;

        /* not sd_event_loop(): after its exit the loop cannot run again,
         * and a sleep in legs waits once per leg */
        while (!c->wait_over) {
                r = sd_event_run(c->event, UINT64_MAX);
                if (r < 0)
                        break;
        }
        if (c->wait_over)
                r = c->wait_error;

        if (c->kernel_failed && sleep_target_writes_image(c->leg_target)) {
                clear_alarm(c);
                return fail(c, "%s", c->image_failure ? c->image_failure : "the hibernation failed");
        }

        if (c->kernel_failed) {
                clear_alarm(c);
                return fail(c, "the kernel failed to suspend (suspend_stats/fail went from %" PRIi64 " to %" PRIi64
                            "); see the kernel log", c->committed.fail, c->at_resume.fail);
        }
        if (!c->resumed) {
                if (c->refused) {
                        clear_alarm(c);
                        return fail(c, "%s", c->refusal ? c->refusal : "logind refused to sleep");
                }
                if (r == -ETIMEDOUT) {
                        clear_alarm(c);
                        return fail(c, "no resume seen within %" PRIu64 " s (of time awake) after logind "
                                    "was asked to sleep", resume_wait_usec(c->leg_seconds) / USEC_PER_SEC);
                }
                /* We do not know where the host stands: an alarm left set is
                 * harmless, a sleep without one is not. */
                return fail(c, "the event loop failed (%s); the wake alarm of RTC %s is left set",
                            STRERROR(r), c->args.rtc_device);
        }

        r = rtc_read_since_epoch(rtc_sysfs_root(), c->args.rtc_device, &now);
        if (r < 0)
                log_warning_errno(r, "Failed to read the clock of RTC %s, so whether the alarm woke the host "
                                  "is unknown: %s", c->args.rtc_device, STRERROR(r));
        else
                c->leg.woken_by_alarm = alarm_reached_at_resume(c->leg_target, now, c->outcome.alarm);

        clear_alarm(c);
        c->leg.target = c->leg_target;
        c->leg.asked_usec = usec_from_sec(c->leg_seconds);
        c->leg.alarm = c->outcome.alarm;
        if (outcome_add_leg(&c->outcome, &c->leg) < 0)
                return fail(c, "out of memory");
        c->outcome.woken_by_alarm = c->leg.woken_by_alarm;
        c->outcome.resumed_realtime_usec = c->leg.resumed_realtime_usec;
        return 0;
}
