/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <inttypes.h>
#include <time.h>

#include "bus-name-owner.h"
#include "bus-names.h"
#include "escape.h"
#include "json-util.h"
#include "log.h"
#include "resume-watch.h"
#include "status.h"
#include "timespan.h"

#define POLL_INTERVAL_USEC (2 * USEC_PER_SEC)

struct ResumeWatch {
        sd_bus *bus;
        BusNameOwner *hostpmd;     /* whose SuspendFinished/SuspendCancelled count */
        sd_bus_slot *match_finished, *match_cancelled;
        const char *id;        /* the request followed; set once it is known */
        bool finished;
        char *result, *error;
        uint64_t asked_usec, slept_usec;
        int woken_by_alarm;
        uint64_t gone_since;   /* CLOCK_MONOTONIC: first poll that found it gone without a record */
};

static int set_result(ResumeWatch *w, const char *result, const char *error, uint64_t asked, uint64_t slept, int woken) {
        free(w->result);
        free(w->error);
        w->result = strdup(result);
        w->error = strdup(error ? error : "");
        if (!w->result || !w->error)
                return -ENOMEM;
        w->asked_usec = asked;
        w->slept_usec = slept;
        w->woken_by_alarm = woken;
        w->finished = true;
        return 0;
}

static int match_suspend_finished(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        ResumeWatch *w = userdata;
        const char *id, *result, *error;
        uint64_t asked, slept;
        int woken;

        if (!bus_name_owner_sent(w->hostpmd, m))
                return 0;
        if (sd_bus_message_read(m, "ssttbs", &id, &result, &asked, &slept, &woken, &error) < 0)
                return 0;
        if (!w->id || !streq(id, w->id))
                return 0;
        return set_result(w, result, error, asked, slept, woken);
}

static int match_suspend_cancelled(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        ResumeWatch *w = userdata;
        const char *id;

        if (!bus_name_owner_sent(w->hostpmd, m))
                return 0;
        if (sd_bus_message_read(m, "s", &id) < 0 || !w->id || !streq(id, w->id))
                return 0;
        return set_result(w, "cancelled", "cancelled before the suspend started", 0, 0, 0);
}

static int watch_attach(ResumeWatch *w) {
        int r;

        w->match_finished = sd_bus_slot_unref(w->match_finished);
        w->match_cancelled = sd_bus_slot_unref(w->match_cancelled);
        w->hostpmd = bus_name_owner_free(w->hostpmd);
        /* Anyone can send us a SuspendFinished: only hostpmd's own
         * connection counts, whichever hostpmd owns the name (it may exit
         * when idle and be activated again). */
        r = bus_name_owner_new(w->bus, HOSTPM_BUS_NAME, &w->hostpmd);
        if (r < 0)
                return r;
        r = sd_bus_match_signal(w->bus, &w->match_finished, HOSTPM_BUS_NAME, HOSTPM_OBJECT_PATH,
                                HOSTPM_MANAGER_IFACE, "SuspendFinished", match_suspend_finished, w);
        if (r < 0)
                return r;
        return sd_bus_match_signal(w->bus, &w->match_cancelled, HOSTPM_BUS_NAME, HOSTPM_OBJECT_PATH,
                                   HOSTPM_MANAGER_IFACE, "SuspendCancelled", match_suspend_cancelled, w);
}

int resume_watch_new(sd_bus *bus, ResumeWatch **ret) {
        ResumeWatch *w;
        int r;

        w = calloc(1, sizeof *w);
        if (!w)
                return -ENOMEM;
        w->bus = sd_bus_ref(bus);
        r = watch_attach(w);
        if (r < 0) {
                resume_watch_free(w);
                return r;
        }
        *ret = w;
        return 0;
}

ResumeWatch *resume_watch_free(ResumeWatch *w) {
        if (!w)
                return NULL;
        sd_bus_slot_unref(w->match_finished);
        sd_bus_slot_unref(w->match_cancelled);
        bus_name_owner_free(w->hostpmd);
        sd_bus_unref(w->bus);
        free(w->result);
        free(w->error);
        free(w);
        return NULL;
}

/* The properties say how it ended when the signal was missed. */
static int poll_status(ResumeWatch *w) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(status_done) Status s = {0};
        int r;

        r = status_read(w->bus, &s, &error);
        if (r < 0)
                return r;
        if (streq_ptr(s.last_id, w->id) && s.last_result && !streq(s.last_result, "suspending"))
                return set_result(w, s.last_result, s.last_error, s.last_asked_usec, s.last_slept_usec,
                                  s.last_woken_by_alarm);
        /* gone from systemd without a record of ours: cancelled, or the
         * helper never got to write one. hostpmd announces a cancel once
         * systemd has stopped the timer, so a read in between sees the
         * request gone before SuspendCancelled is sent (seen in the VM: 70 ms
         * apart). Only a request still gone, with no signal, a poll later
         * left no trace. */
        if (!streq_ptr(s.pending_id, w->id) && !streq_ptr(s.last_id, w->id)) {
                uint64_t now = clock_now_usec(CLOCK_MONOTONIC);

                if (w->gone_since == 0)
                        w->gone_since = now;
                if (now - w->gone_since < POLL_INTERVAL_USEC)
                        return 0;
                return set_result(w, "failed", "the request is no longer pending and left no outcome record; "
                                  "see journalctl -u hostpm-suspend.service", 0, 0, 0);
        }
        w->gone_since = 0;
        return 0;
}

static int reconnect(ResumeWatch *w, const char *host) {
        sd_bus *bus = NULL;
        int r;

        r = host ? sd_bus_open_system_remote(&bus, host) : sd_bus_open_system(&bus);
        if (r < 0)
                return r;
        sd_bus_flush_close_unref(w->bus);
        w->bus = bus;
        return watch_attach(w);
}

int resume_watch_wait(ResumeWatch *w, const char *host, const char *id, uint64_t wake_usec, OutputFormat output) {
        char asked[DURATION_MAX_STRING], slept[DURATION_MAX_STRING];
        uint64_t deadline, next_poll;
        int r;

        w->id = id;
        /* a generous bound: resume on a real host can take a minute */
        deadline = wake_usec + 120 * USEC_PER_SEC + (wake_usec - clock_now_usec(CLOCK_REALTIME)) / 10;
        next_poll = clock_now_usec(CLOCK_REALTIME) + POLL_INTERVAL_USEC;

        while (!w->finished) {
                uint64_t now = clock_now_usec(CLOCK_REALTIME);

                if (now > deadline) {
                        log_error("No outcome for request %s by %s after the planned wake-up; see "
                                  "hostpm-suspend --status and the journal (journalctl -u hostpm-suspend.service).",
                                  id, "2 minutes");
                        return EXIT_SLEEP_FAILED;
                }

                r = sd_bus_process(w->bus, NULL);
                if (r > 0)
                        continue;
                if (r >= 0 && now >= next_poll) {
                        r = poll_status(w);
                        next_poll = now + POLL_INTERVAL_USEC;
                }
                if (r < 0) {
                        /* the connection may not survive the sleep: try again */
                        log_debug("Lost hostpmd (%s), reconnecting.", STRERROR(r));
                        if (reconnect(w, host) < 0)
                                (void) usleep(POLL_INTERVAL_USEC / 2);
                        continue;
                }
                if (w->finished)
                        break;
                (void) sd_bus_wait(w->bus, next_poll > now ? next_poll - now : 0);
        }

        if (output == OUTPUT_JSON) {
                _cleanup_(json_object_putp) json_object *o = json_object_new_object();
                _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
                _cleanup_(status_done) Status s = {0};
                bool legs = status_read(w->bus, &s, &error) >= 0 && streq_ptr(s.last_id, id);

                /* json-c escapes: logind's and the helper's words are not ours */
                if (!o ||
                    json_add(o, "id", json_object_new_string(id)) < 0 ||
                    json_add(o, "result", json_object_new_string(w->result)) < 0 ||
                    json_add(o, "asked_usec", json_object_new_uint64(w->asked_usec)) < 0 ||
                    json_add(o, "slept_usec", json_object_new_uint64(w->slept_usec)) < 0 ||
                    json_add(o, "woken_by_alarm", json_object_new_boolean(w->woken_by_alarm)) < 0 ||
                    json_add(o, "error", json_object_new_string(w->error)) < 0 ||
                    (legs && s.n_last_legs > 0 && json_add(o, "legs", status_legs_to_json(s.last_legs, s.n_last_legs)) < 0))
                        return log_oom(), EXIT_FAILED;
                /* one line: after the plan's line, a stream of JSON lines */
                r = json_print(o, JSON_FORMAT_LINE);
                if (r < 0)
                        return log_error_errno(r, "Failed to write the outcome as JSON: %s", STRERROR(r)), EXIT_FAILED;
        } else if (streq(w->result, "resumed")) {
                _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
                _cleanup_(status_done) Status s = {0};
                char window[DURATION_MAX_STRING] = "";

                /* The wall-clock window also counts entering and leaving
                 * the sleep; worth showing next to the kernel's figure. */
                if (status_read(w->bus, &s, &error) >= 0 && streq_ptr(s.last_id, id) &&
                    s.last_resume_usec > s.last_suspend_usec && s.last_suspend_usec > 0)
                        format_duration(window, sizeof window,
                                        (s.last_resume_usec - s.last_suspend_usec) / USEC_PER_MSEC * USEC_PER_MSEC);
                printf("Resumed: slept %s (asked %s), %s%s%s.\n",
                       format_duration(slept, sizeof slept, w->slept_usec / USEC_PER_MSEC * USEC_PER_MSEC),
                       format_duration(asked, sizeof asked, w->asked_usec),
                       w->woken_by_alarm ? "woken by the RTC alarm" : "NOT woken by the RTC alarm",
                       window[0] ? "; suspend to resume took " : "", window);
                if (streq_ptr(s.last_id, id))
                        status_print_legs(s.last_legs, s.n_last_legs);
                if (!isempty(w->error)) {
                        /* the helper's words, which may quote others' */
                        _cleanup_free_ char *note = escape_untrusted(w->error);

                        printf("Note: %s.\n", note ? note : "(out of memory)");
                }
        }
        else {
                /* the helper's words may quote an inhibitor's who and why: other users' text */
                _cleanup_free_ char *shown_id = escape_untrusted(id), *result = escape_untrusted(w->result),
                                    *error = escape_untrusted(w->error);

                if (!shown_id || !result || !error)
                        return log_oom(), EXIT_FAILED;
                printf("Request %s %s%s%s.\n", shown_id, result, isempty(error) ? "" : ": ", error);
        }

        return streq(w->result, "resumed") && w->woken_by_alarm ? EXIT_OK : EXIT_SLEEP_FAILED;
}
