/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* hostpm-sleep: run as root by hostpmd's transient service. Sets and
 * verifies the RTC wake alarm, asks logind to sleep, waits for the resume
 * and records the outcome.
 *
 * The one rule above all: never leave a host asleep without a verified wake
 * alarm. Up to the moment the Suspend call is sent, any failure or stop
 * signal clears the alarm and nothing sleeps. From that moment on ("committed")
 * only three things clear it: logind saying no, the kernel saying its suspend
 * failed, or the resume being seen (or, failing that, the host having been
 * awake for the asked time plus a margin). Stop signals are then logged and
 * ignored. A resume is seen when logind's own connection says so (no one
 * else's PrepareForSleep counts) and the kernel shows the host slept since
 * the Suspend call (sleep-evidence.h). This file runs the steps up to the
 * alarm and ends the request; sleep-resume.c sends the call and waits.
 *
 * A sleep longer than the alarm reaches (--alarm-range=), and hostpm's
 * suspend-then-hibernate (--hibernate-after=), are slept in legs
 * (sleep-legs.h): at each wake by the alarm the next leg is planned from
 * the time left, checked like the first (inhibitors, a stop signal, the
 * alarm set and read back) and slept. A host woken by anything but the
 * alarm, or that cannot arm the next leg, stays awake and says why. */

#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>
#include <time.h>

#include "bus-names.h"
#include "hostpm-sleep.h"
#include "log.h"
#include "rtc-alarm.h"
#include "rtc.h"
#include "sleep-history.h"
#include "sleep-wol.h"
#include "timespan.h"

/* Documented in --help; hostpmd and the tests rely on them. */
enum {
        EXIT_RESUMED = 0,
        EXIT_FAILED = 1,
        EXIT_USAGE = 2,
        EXIT_REFUSED = 3,
        EXIT_CANCELLED = 4,
};

static const int stop_signals[] = { SIGTERM, SIGINT, SIGHUP };

static void context_done(Context *c) {
        sd_event_source_disable_unref(c->resume_timeout);
        sd_bus_slot_unref(c->sleep_call);
        sd_bus_slot_unref(c->prepare_for_sleep);
        bus_name_owner_free(c->logind);
        sd_bus_flush_close_unref(c->bus);
        sd_event_unref(c->event);
        outcome_done(&c->outcome);
        free(c->method);
        free(c->refusal);
        free(c->image_failure);
        sleep_args_done(&c->args);
}

static const char *signal_name(int sig) {
        switch (sig) {
        case SIGTERM: return "SIGTERM";
        case SIGINT:  return "SIGINT";
        case SIGHUP:  return "SIGHUP";
        }
        return "a signal";
}

/* Writes the record; losing it is bad but must not stop the sleep. */
void record(Context *c, OutcomeResult result) {
        int r;

        c->outcome.result = result;
        r = outcome_write(outcome_state_dir(), &c->outcome);
        if (r < 0)
                log_warning_errno(r, "Failed to record the outcome in %s/%s, ignoring: %s",
                                  outcome_state_dir(), OUTCOME_FILE_NAME, STRERROR(r));
}

void clear_alarm(Context *c) {
        int r;

        if (!c->alarm_set)
                return;
        r = rtc_clear_wakealarm(rtc_sysfs_root(), c->args.rtc_device);
        if (r < 0)
                log_error_errno(r, "Failed to clear the wake alarm of RTC %s: %s",
                                c->args.rtc_device, STRERROR(r));
        else
                c->alarm_set = false;
}

/* How every request ends: the record, the journal entry, the exit code. */
int finish(Context *c, OutcomeResult result, const char *error) {
        const EventDetails details = {
                .error = error,
                .alarm = c->outcome.alarm,
                .slept_usec = c->outcome.slept_usec,
                .woken_by_alarm = c->outcome.woken_by_alarm,
        };

        free(c->outcome.error);
        c->outcome.error = error ? strdup(error) : NULL;
        record(c, result);
        sleep_history_record(&c->outcome);

        switch (result) {
        case OUTCOME_RESUMED:
                journal_event(JOURNAL_EVENT_RESUMED, &c->request, &details);
                return EXIT_RESUMED;
        case OUTCOME_REFUSED:
                journal_event(JOURNAL_EVENT_REFUSED, &c->request, &details);
                return EXIT_REFUSED;
        case OUTCOME_CANCELLED:
                journal_event(JOURNAL_EVENT_CANCELLED, &c->request, &details);
                return EXIT_CANCELLED;
        default:
                journal_event(JOURNAL_EVENT_FAILED, &c->request, &details);
                return EXIT_FAILED;
        }
}

/* After a leg: how far the sleep got, so a failure says the host is awake. */
static char *after_legs(const Context *c, const char *what) {
        char *s;

        if (c->outcome.n_legs == 0)
                return strdup(what);
        if (asprintf(&s, "after leg %zu, %" PRIu64 " of %" PRIu64 " s asleep, the host stays awake: %s",
                     c->outcome.n_legs, c->outcome.slept_usec / USEC_PER_SEC, c->chain.seconds, what) < 0)
                return NULL;
        return s;
}

int fail(Context *c, const char *format, ...) {
        _cleanup_free_ char *what = NULL, *error = NULL;
        va_list ap;
        int k;

        va_start(ap, format);
        k = vasprintf(&what, format, ap);
        va_end(ap);
        if (k >= 0)
                error = after_legs(c, what);
        return finish(c, OUTCOME_FAILED, error ? error : "out of memory");
}

/* Before the commit no event loop runs, so a stop signal simply stays
 * pending (it is blocked); look for one at each step. */
int pending_stop_signal(void) {
        sigset_t pending;

        if (sigpending(&pending) < 0)
                return 0;
        for (size_t i = 0; i < ELEMENTSOF(stop_signals); i++)
                if (sigismember(&pending, stop_signals[i]) == 1)
                        return stop_signals[i];
        return 0;
}

int cancel(Context *c, int sig) {
        _cleanup_free_ char *error = NULL;
        char why[128];

        clear_alarm(c);
        (void) snprintf(why, sizeof(why), "stopped by %s before logind was asked to sleep%s", signal_name(sig),
                        c->outcome.n_legs > 0 ? " again" : "");
        error = after_legs(c, why);
        return finish(c, OUTCOME_CANCELLED, error ? error : why);
}

/* Steps return 0 to go on, or the exit code to stop with. */

static int step_check_inhibitors(Context *c) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        if (c->args.ignore_inhibitors) {
                log_info("Not checking inhibitors (--ignore-inhibitors).");
                return 0;
        }

        r = sd_bus_call_method(c->bus, LOGIND_BUS_NAME, LOGIND_OBJECT_PATH, LOGIND_MANAGER_IFACE,
                               "ListInhibitors", &error, &reply, NULL);
        if (r < 0)
                return fail(c, "could not list logind's inhibitors: %s",
                            error.message ? error.message : STRERROR(r));

        r = sd_bus_message_enter_container(reply, 'a', "(ssssuu)");
        while (r >= 0) {
                _cleanup_free_ char *why = NULL;
                Inhibitor i;

                r = sd_bus_message_read(reply, "(ssssuu)", &i.what, &i.who, &i.why, &i.mode, &i.uid, &i.pid);
                if (r <= 0)
                        break;
                if (!inhibitor_blocks_sleep(&i))
                        continue;
                _cleanup_free_ char *refusal = NULL;

                if (inhibitor_refusal_message(&i, &why) < 0 || !(refusal = after_legs(c, why)))
                        return fail(c, "out of memory");
                return finish(c, OUTCOME_REFUSED, refusal);
        }
        if (r < 0)
                return fail(c, "could not read logind's inhibitors: %s", STRERROR(r));
        return 0;
}

/* --wake-at becomes seconds ahead: early for the records, and again right
 * before the alarm is set, so the alarm is as close as can be to the time
 * asked. */
static int resolve_seconds(Context *c) {
        int r;

        if (c->args.wake_at > 0) {
                r = seconds_until(c->args.wake_at, clock_now_usec(CLOCK_REALTIME), &c->args.seconds);
                if (r == -ETIME)
                        return fail(c, "the wake time %" PRIu64 " has passed", c->args.wake_at);
                if (r < 0)
                        return fail(c, "the wake time %" PRIu64 " is more than %" PRIu64 " s ahead",
                                    c->args.wake_at, SLEEP_SECONDS_MAX);
                c->request.asked_usec = c->outcome.asked_usec = usec_from_sec(c->args.seconds);
        }
        /* hostpmd checked MinimumDuration= when the request came; a timer
         * that fired late can leave less. An alarm that passes before the
         * host is asleep never wakes it. */
        if (c->args.seconds < c->args.min_seconds)
                return fail(c, "the wake alarm would be %" PRIu64 " s ahead, less than the minimum of %" PRIu64
                            " s (MinimumDuration=); no alarm was set and nothing sleeps",
                            c->args.seconds, c->args.min_seconds);
        return 0;
}

/* The leg to sleep now, from the time left of the whole; sets chain_over
 * when none is left to arm. */
static int plan_leg(Context *c) {
        const char *root = rtc_sysfs_root(), *dev = c->args.rtc_device;
        uint64_t elapsed = 0, now;
        int r;

        if (c->outcome.n_legs == 0) {
                r = resolve_seconds(c);
                if (r > 0)
                        return r;
                c->chain.seconds = c->args.seconds;
        } else {
                r = rtc_read_since_epoch(root, dev, &now);
                if (r < 0)
                        return fail(c, "could not read the clock of RTC %s to plan the next leg: %s", dev,
                                    STRERROR(r));
                elapsed = now > c->chain_start ? now - c->chain_start : 0;
        }

        if (sleep_chain_next_leg(&c->chain, elapsed, &c->leg_target, &c->leg_seconds) == 0) {
                c->chain_over = true;
                c->unslept = c->leg_seconds;
        }
        return 0;
}

/* A leg woke: unless it was the alarm that woke the host, the sleep is
 * over (a host someone woke is wanted awake). Then the time left decides. */
static int step_plan_leg(Context *c) {
        const char *root = rtc_sysfs_root(), *dev = c->args.rtc_device;
        const OutcomeLeg *last = c->outcome.n_legs > 0 ? &c->outcome.legs[c->outcome.n_legs - 1] : NULL;

        if (last && !last->woken_by_alarm) {
                c->chain_over = true;
                return 0;
        }
        /* The RTC counts whole seconds: an alarm armed late in one of them
         * fires up to a second early; armed just after the RTC's second
         * turns over, the time asleep is the time asked. */
        rtc_wait_for_tick(root, dev);
        return plan_leg(c);
}

static int step_set_alarm(Context *c) {
        const char *root = rtc_sysfs_root(), *dev = c->args.rtc_device;
        uint64_t alarm;
        int r;

        r = rtc_set_wakealarm(root, dev, c->leg_seconds, &alarm);
        switch (r) {
        case 0:
                c->alarm_set = true;
                c->outcome.alarm = alarm;
                if (c->outcome.n_legs == 0)
                        c->chain_start = alarm - c->leg_seconds;
                log_info("Wake alarm of RTC %s set to %" PRIu64 " (%" PRIu64 " s ahead) and read back.",
                         dev, alarm, c->leg_seconds);
                return 0;
        case -ENOENT: {
                _cleanup_(rtc_info_done) RtcInfo info = {0};

                if (rtc_read_info(root, dev, &info) < 0)
                        return fail(c, "RTC %s or its wakealarm or since_epoch attribute is missing", dev);
                if (!info.present)
                        return fail(c, "no RTC %s: %s/class/rtc/%s does not exist", dev, root, dev);
                if (!info.has_wakealarm)
                        return fail(c, "RTC %s has no wakealarm attribute: it cannot wake the host", dev);
                return fail(c, "RTC %s has no since_epoch attribute", dev);
        }
        case -EINVAL:
                return fail(c, "the RTC refused an alarm %" PRIu64 " s ahead", c->leg_seconds);
        case -ERANGE:
                return fail(c, "an alarm %" PRIu64 " s ahead does not fit RTC %s's clock", c->leg_seconds, dev);
        case -EIO:
                return fail(c, "RTC %s did not keep the alarm: the value read back is not the one written", dev);
        case -EBADMSG:
                return fail(c, "RTC %s's since_epoch is not a number", dev);
        case -EACCES:
        case -EPERM:
        case -EROFS:
                return fail(c, "cannot write %s/class/rtc/%s/wakealarm: %s (the helper needs root, and "
                            "ProtectKernelTunables= makes /sys read-only unless ReadWritePaths= opens the file)",
                            root, dev, STRERROR(r));
        default:
                return fail(c, "could not set the wake alarm of RTC %s: %s", dev, STRERROR(r));
        }
}

static int on_stop_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        Context *c = userdata;

        log_notice("Received %s (from pid %" PRIu32 ") after logind was asked to sleep; the wake alarm stays "
                   "set until the resume is seen, and no leg of the sleep follows it.",
                   signal_name((int) si->ssi_signo), si->ssi_pid);
        c->stop_signal = (int) si->ssi_signo;
        return 0;
}

static int setup_event_loop(Context *c) {
        int r;

        r = sd_event_new(&c->event);
        if (r < 0)
                return r;
        /* sd-event needs the signals blocked (main did); these sources only
         * matter once committed, when they must not stop us. */
        for (size_t i = 0; i < ELEMENTSOF(stop_signals); i++) {
                r = sd_event_add_signal(c->event, NULL, stop_signals[i], on_stop_signal, c);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Between two legs: the host is awake, and stays so if anyone asked. */
static int step_next_leg(Context *c) {
        const OutcomeLeg *last = &c->outcome.legs[c->outcome.n_legs - 1];
        int r;

        r = c->stop_signal > 0 ? c->stop_signal : pending_stop_signal();
        if (r > 0)
                return cancel(c, r);
        r = step_check_inhibitors(c);
        if (r > 0)
                return r;

        journal_event(JOURNAL_EVENT_LEG, &c->request, &(const EventDetails) {
                .alarm = last->alarm,
                .slept_usec = last->slept_usec,
                .woken_by_alarm = last->woken_by_alarm,
                .leg = (unsigned) c->outcome.n_legs,
                .leg_target = sleep_target_to_string(last->target),
                .next_seconds = c->leg_seconds,
        });
        leg_reset(c);
        return 0;
}

/* The last leg woke, by the alarm or otherwise. */
static int finish_sleep(Context *c) {
        const OutcomeLeg *last = &c->outcome.legs[c->outcome.n_legs - 1];
        char note[256];

        if (c->alarm_set)
                return finish(c, OUTCOME_RESUMED, "resumed, but the wake alarm could not be cleared");
        /* Woken before the alarm (by someone, or a wake-up source) after
         * earlier legs: say that the rest is not slept. A sleep in one leg
         * says it with woken_by_alarm alone, as it always has. */
        if (!last->woken_by_alarm && c->outcome.n_legs > 1) {
                uint64_t end = c->chain_start + c->chain.seconds, now = 0;

                if (rtc_read_since_epoch(rtc_sysfs_root(), c->args.rtc_device, &now) >= 0 && now + 1 < end) {
                        (void) snprintf(note, sizeof note, "woken before the wake alarm, %" PRIu64 " s before the "
                                        "asked time; the rest of the sleep is not slept", end - now);
                        return finish(c, OUTCOME_RESUMED, note);
                }
        }
        if (c->unslept > 0 && c->outcome.n_legs > 1) {
                (void) snprintf(note, sizeof note, "woke %" PRIu64 " s before the asked time: too little was "
                                "left to arm another leg (MinimumDuration=)", c->unslept);
                return finish(c, OUTCOME_RESUMED, note);
        }
        return finish(c, OUTCOME_RESUMED, NULL);
}

static int run(int argc, char *argv[]) {
        _cleanup_(context_done) Context c = {0};
        int r;

        r = sleep_args_parse(argc, argv, &c.args);
        if (r < 0)
                return EXIT_USAGE;
        if (r == 0)
                return EXIT_RESUMED;

        c.request = (EventRequest) {
                .id = c.args.id,
                .target = sleep_target_to_string(c.args.target),
                .requester_uid = c.args.requester_uid,
                .requester_pid = c.args.requester_pid,
                .asked_usec = c.args.seconds * USEC_PER_SEC,
        };
        c.outcome = (Outcome) {
                .id = strdup(c.args.id),
                .target = strdup(sleep_target_to_string(c.args.target)),
                .asked_usec = c.args.seconds * USEC_PER_SEC,
                .requester_uid = c.args.requester_uid,
                .requester_pid = c.args.requester_pid,
        };
        if (!c.outcome.id || !c.outcome.target) {
                log_oom();
                return EXIT_FAILED;
        }

        r = resolve_seconds(&c);
        if (r > 0)
                return r;
        c.chain = (SleepChain) {
                .target = c.args.target,
                .seconds = c.args.seconds,
                .range = c.args.alarm_range,
                .min_seconds = c.args.min_seconds,
                .hibernate_after = c.args.hibernate_after,
        };

        r = setup_event_loop(&c);
        if (r < 0)
                return fail(&c, "could not set up the event loop: %s", STRERROR(r));

        r = sd_bus_open_system(&c.bus);
        if (r < 0)
                return fail(&c, "could not connect to the system bus: %s", STRERROR(r));
        r = sd_bus_attach_event(c.bus, c.event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                return fail(&c, "could not attach to the system bus: %s", STRERROR(r));

        r = step_check_inhibitors(&c);
        if (r > 0)
                return r;
        r = pending_stop_signal();
        if (r > 0)
                return cancel(&c, r);

        r = step_subscribe(&c);
        if (r > 0)
                return r;

        for (;;) {
                r = step_plan_leg(&c);
                if (r > 0)
                        return r;
                if (c.chain_over)
                        return finish_sleep(&c);
                if (c.outcome.n_legs > 0) {
                        r = step_next_leg(&c);
                        if (r > 0)
                                return r;
                }

                /* before the alarm, which is set immediately before the sleep */
                sleep_arm_wake_on_lan(c.args.wake_on_lan);

                r = step_set_alarm(&c);
                if (r > 0)
                        return r;
                r = pending_stop_signal();
                if (r > 0)
                        return cancel(&c, r);

                r = step_sleep(&c);
                if (r > 0)
                        return r;
                r = step_wait_for_resume(&c);
                if (r > 0)
                        return r;
        }
}

int main(int argc, char *argv[]) {
        sigset_t mask;

        /* First of all: a stop signal must never kill us with an alarm set
         * (default action) — it is read, when we choose, from sd-event or
         * sigpending(). SIGPIPE: a broken stderr must not kill us either. */
        sigemptyset(&mask);
        for (size_t i = 0; i < ELEMENTSOF(stop_signals); i++)
                sigaddset(&mask, stop_signals[i]);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                return EXIT_FAILED;
        (void) signal(SIGPIPE, SIG_IGN);

        log_set_program_name(program_invocation_short_name);
        log_setup();

        return run(argc, argv);
}
