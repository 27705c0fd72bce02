/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <inttypes.h>
#include <time.h>

#include "bus-names.h"
#include "capabilities-json.h"
#include "capabilities-xml.h"
#include "escape.h"
#include "hibernate-check.h"
#include "json-util.h"
#include "log.h"
#include "macro.h"
#include "resume-watch.h"
#include "status.h"
#include "suspend-plan.h"
#include "timespan.h"
#include "verbs.h"

static const struct {
        const char *name;
        int status;
} error_exit_table[] = {
        { HOSTPM_ERROR_NOT_AUTHORIZED,                         EXIT_NOT_AUTHORIZED },
        { SD_BUS_ERROR_INTERACTIVE_AUTHORIZATION_REQUIRED,    EXIT_NOT_AUTHORIZED },
        { SD_BUS_ERROR_ACCESS_DENIED,                          EXIT_NOT_AUTHORIZED },
        { HOSTPM_ERROR_BUSY,                                   EXIT_BUSY },
        { HOSTPM_ERROR_UNSUPPORTED_TARGET,                     EXIT_REFUSED },
        { HOSTPM_ERROR_INVALID_TARGET,                         EXIT_REFUSED },
        { HOSTPM_ERROR_DURATION_OUT_OF_RANGE,                  EXIT_REFUSED },
        { HOSTPM_ERROR_WAKE_TIME_IN_PAST,                      EXIT_REFUSED },
        { HOSTPM_ERROR_INVALID_FLAGS,                          EXIT_REFUSED },
        { HOSTPM_ERROR_NO_WAKE_ALARM,                          EXIT_REFUSED },
        { SD_BUS_ERROR_INVALID_ARGS,                           EXIT_REFUSED },
        { HOSTPM_ERROR_CAPABILITIES_UNKNOWN,                   EXIT_CAPABILITIES_UNKNOWN },
        { HOSTPM_ERROR_NOTHING_PENDING,                        EXIT_NOTHING_PENDING },
        { HOSTPM_ERROR_TOO_LATE,                               EXIT_TOO_LATE },
        { HOSTPM_ERROR_TOO_MANY_REQUESTS,                      EXIT_BUSY },
        { HOSTPM_ERROR_NO_SUCH_REQUEST,                        EXIT_NOTHING_PENDING },
        { HOSTPM_ERROR_NO_NEXT_TIMER,                          EXIT_REFUSED },
        { HOSTPM_ERROR_LEG_NOT_ARMABLE,                        EXIT_REFUSED },
};

/* escape_untrusted(), never NULL: for printing what others wrote */
static char *esc(const char *s) {
        char *e = escape_untrusted(s);

        return e ? e : strdup("(out of memory)");
}

static const char *strnull(const char *s) {
        return s ? s : "(out of memory)";
}

int exit_status_from_error(const sd_bus_error *error, int r, const char *what) {
        if (sd_bus_error_is_set(error)) {
                /* the message may quote what another caller sent, or come from any peer */
                _cleanup_free_ char *text = esc(error->message ? error->message : error->name);

                log_error("%s: %s", what, strnull(text));
                if (sd_bus_error_has_names(error, SD_BUS_ERROR_SERVICE_UNKNOWN, SD_BUS_ERROR_TIMEOUT,
                                           "org.freedesktop.DBus.Error.TimedOut",
                                           SD_BUS_ERROR_NO_REPLY, "org.freedesktop.DBus.Error.Spawn.Failed",
                                           "org.freedesktop.systemd1.UnitFailed"))
                        log_error("hostpmd could not be reached; see: systemctl status hostpmd.service");
                for (size_t i = 0; i < ELEMENTSOF(error_exit_table); i++)
                        if (sd_bus_error_has_name(error, error_exit_table[i].name))
                                return error_exit_table[i].status;
                return EXIT_FAILED;
        }
        log_error("%s: %s", what, STRERROR(r));
        return EXIT_FAILED;
}

static void print_network_interfaces(const NetInterfaces *n) {
        if (!n->asked)
                return;
        if (n->error < 0) {
                printf("\nNetwork interfaces: unknown (%s)\n", n->error_message ? n->error_message : STRERROR(n->error));
                return;
        }
        printf("\n%-16s %-17s %-40s %s\n", "INTERFACE", "MAC", "WAKE-ON-LAN SUPPORTED", "ENABLED");
        for (size_t i = 0; i < n->n; i++) {
                char mac[ETHER_ADDR_STRING_MAX], s[WOL_MODES_STRING_MAX], e[WOL_MODES_STRING_MAX];
                const WolInfo *w = &n->list[i].wol;

                printf("%-16s %-17s ", n->list[i].name, ether_addr_to_string(n->list[i].mac, mac));
                if (w->error < 0)
                        printf("unknown (%s)\n", n->list[i].wol_error ? n->list[i].wol_error : STRERROR(w->error));
                else
                        printf("%-40s %s\n", w->supported ? wol_modes_to_string(w->supported, s) : "none",
                               w->enabled ? wol_modes_to_string(w->enabled, e) : "none");
        }
}

/* disk, hybrid, suspend-then-hibernate: whether the image fits and can
 * be read back (hibernate-check.h) */
static void print_hibernation(const Capabilities *c) {
        const HibernateInfo *h = &c->hibernate;

        if (!c->hibernate_known)
                return;
        printf("Hibernation:   %s", c->hibernate_problem ? "not possible" : "possible");
        if (h->swaps_error == 0)
                printf(", swap %" PRIu64 " MiB free of %" PRIu64 " MiB in %u", (h->swap_free + MIB / 2) / MIB,
                       (h->swap_total + MIB / 2) / MIB, h->n_swaps);
        if (hibernate_swap_needed(h) > 0)
                printf(", image needs about %" PRIu64 " MiB", (hibernate_swap_needed(h) + MIB - 1) / MIB);
        if (h->resume_error == 0)
                printf(", resume device %u:%u%s", h->resume_major, h->resume_minor,
                       h->resume_major == 0 && h->resume_minor == 0 ? " (none)" :
                       h->resume_present ? "" : " (missing)");
        printf("\n");
        if (c->hibernate_problem) {
                _cleanup_free_ char *why = esc(c->hibernate_problem);

                printf("               %s\n", strnull(why));
        }
}

static void print_capabilities_table(const Capabilities *c) {
        if (c->query_error == 0) {
                printf("%-24s %-10s %s\n", "TARGET", "SUPPORTED", "LOGIND");
                for (SleepTarget t = 0; t < _SLEEP_TARGET_MAX; t++) {
                        const TargetCapability *tc = &c->targets[t];
                        _cleanup_free_ char *raw = esc(tc->raw ? tc->raw : logind_answer_to_string(tc->answer));

                        printf("%-24s %-10s %s%s%s%s\n",
                               sleep_target_to_string(t),
                               logind_answer_is_supported(tc->answer) ? "yes" : "no",
                               strnull(raw),
                               logind_answer_is_blocked(tc->answer) ? " (blocked now)" : "",
                               tc->answer == LOGIND_ANSWER_UNKNOWN ? " (not understood)" : "",
                               logind_answer_needs_authentication(tc->answer) ? " (needs authentication)" : "");
                }
        } else {
                _cleanup_free_ char *why = esc(c->query_error_message ? c->query_error_message
                                                                      : STRERROR(c->query_error));

                printf("Sleep targets: unknown (%s)\n", strnull(why));
        }

        _cleanup_free_ char *device = esc(c->rtc.device), *driver = esc(c->rtc.name ? c->rtc.name : "unknown driver");
        printf("\nWake alarm:    ");
        if (!c->rtc.present)
                printf("%s not present\n", strnull(device));
        else {
                printf("%s (%s)%s, wake source %s", strnull(device), strnull(driver),
                       c->rtc.has_wakealarm ? "" : ", no wakealarm attribute",
                       rtc_wakeup_to_string(c->rtc.wakeup));
                if (c->rtc.alarm > 0)
                        printf(", alarm pending at %" PRIu64, c->rtc.alarm);
                printf(", wakes from S4: %s\n", rtc_s4_wake_to_string(c->rtc_s4_wake));
        }
        char buf[DURATION_MAX_STRING];
        if (c->rtc.present && c->rtc_range.seconds > 0)
                printf("Alarm range:   %s ahead (%s, day alarm: %s)\n",
                       format_duration(buf, sizeof buf, usec_from_sec(c->rtc_range.seconds)),
                       rtc_range_source_to_string(c->rtc_range.source),
                       rtc_day_alarm_to_string(c->rtc_range.day_alarm));
        printf("Longest sleep: %s\n", format_duration(buf, sizeof buf, usec_from_sec(c->rtc.max_seconds)));
        print_hibernation(c);
        print_network_interfaces(&c->net);
}

int verb_capabilities(sd_bus *bus, OutputFormat output) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(capabilities_done) Capabilities c = {0};
        _cleanup_free_ char *json = NULL;
        const char *xml;
        int r;

        r = sd_bus_call_method(bus, HOSTPM_BUS_NAME, HOSTPM_OBJECT_PATH, HOSTPM_MANAGER_IFACE,
                               "GetCapabilities", &error, &reply, NULL);
        if (r < 0)
                return exit_status_from_error(&error, r, "Failed to ask hostpmd for the capabilities");
        r = sd_bus_message_read(reply, "s", &xml);
        if (r < 0)
                return exit_status_from_error(&error, r, "Failed to read hostpmd's answer");
        r = capabilities_from_xml(xml, &c);
        if (r < 0) {
                log_error("hostpmd sent a capabilities document this version does not understand.");
                return EXIT_FAILED;
        }

        if (c.query_error != 0) {
                _cleanup_free_ char *why = esc(c.query_error_message ? c.query_error_message
                                                                     : STRERROR(c.query_error));
                _cleanup_free_ char *name = c.query_error_name ? esc(c.query_error_name) : NULL;

                log_warning("warning: hostpmd could not ask logind what this host supports: %s%s%s%s; "
                            "no power management support is claimed",
                            strnull(why), name ? " (" : "", name ? name : "", name ? ")" : "");
        }

        switch (output) {
        case OUTPUT_XML:
                /* hostpmd's document as sent: it is the one that validates */
                fputs(xml, stdout);
                break;
        case OUTPUT_JSON:
                r = capabilities_to_json(&c, &json);
                if (r < 0)
                        return log_error_errno(r, "Failed to format JSON: %s", STRERROR(r)), EXIT_FAILED;
                puts(json);
                break;
        case OUTPUT_TEXT:
                print_capabilities_table(&c);
                break;
        }
        return c.query_error != 0 ? EXIT_CAPABILITIES_UNKNOWN : EXIT_OK;
}

int verb_status(sd_bus *bus, OutputFormat output) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(status_done) Status s = {0};
        int r;

        r = status_read(bus, &s, &error);
        if (r < 0)
                return exit_status_from_error(&error, r, "Failed to read hostpmd's status");
        if (output != OUTPUT_JSON)
                status_print_text(&s);
        else if ((r = status_print_json(&s)) < 0)
                return log_error_errno(r, "Failed to write the status as JSON: %s", STRERROR(r)), EXIT_FAILED;
        return EXIT_OK;
}

int verb_cancel(sd_bus *bus, const char *want_id, OutputFormat output) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *id;
        int r;

        if (want_id)
                r = sd_bus_call_method(bus, HOSTPM_BUS_NAME, HOSTPM_OBJECT_PATH, HOSTPM_MANAGER_IFACE,
                                       "CancelSuspendById", &error, &reply, "s", want_id);
        else
                r = sd_bus_call_method(bus, HOSTPM_BUS_NAME, HOSTPM_OBJECT_PATH, HOSTPM_MANAGER_IFACE,
                                       "CancelSuspend", &error, &reply, NULL);
        if (r < 0)
                return exit_status_from_error(&error, r, "Failed to cancel");
        r = sd_bus_message_read(reply, "s", &id);
        if (r < 0)
                return exit_status_from_error(&error, r, "Failed to read hostpmd's answer");

        if (output == OUTPUT_JSON) {
                _cleanup_(json_object_putp) json_object *o = json_object_new_object();

                r = o ? json_add(o, "cancelled", json_object_new_string(id)) : -ENOMEM;
                if (r >= 0)
                        r = json_print(o, JSON_FORMAT_LINE);
                if (r < 0)
                        return log_error_errno(r, "Cancelled request %s, but failed to write it as JSON: %s", id,
                                               STRERROR(r)), EXIT_FAILED;
        } else {
                _cleanup_free_ char *text = esc(id);

                printf("Cancelled request %s.\n", strnull(text));
        }
        return EXIT_OK;
}

/* --until=next-timer: which timer, when, and whether it decided. */
typedef struct TimerChoice {
        const char *unit;
        uint64_t elapse_usec;
        int decided;
} TimerChoice;

/* One line, so that --wait's outcome can follow as the next. */
static int print_plan_json(const ScheduleArgs *a, const char *id, uint64_t suspend_usec, uint64_t wake_usec,
                           const TimerChoice *timer) {
        _cleanup_(json_object_putp) json_object *o = json_object_new_object();
        _cleanup_(json_object_putp) json_object *t = NULL;

        if (!o ||
            json_add(o, "id", json_object_new_string(id)) < 0 ||
            json_add(o, "dry_run", json_object_new_boolean(isempty(id))) < 0 ||
            json_add(o, "target", json_object_new_string(a->target)) < 0 ||
            json_add(o, "suspend_usec", json_object_new_uint64(suspend_usec)) < 0 ||
            json_add(o, "wake_usec", json_object_new_uint64(wake_usec)) < 0)
                return -ENOMEM;
        if (timer) {
                t = json_object_new_object();
                if (!t ||
                    json_add(t, "unit", json_object_new_string(timer->unit)) < 0 ||
                    json_add(t, "elapse_usec", json_object_new_uint64(timer->elapse_usec)) < 0 ||
                    json_add(t, "decided", json_object_new_boolean(timer->decided)) < 0 ||
                    json_add(o, "next_timer", TAKE_PTR(t)) < 0)
                        return -ENOMEM;
        }
        return json_print(o, JSON_FORMAT_LINE);
}

static void print_timer_choice(const TimerChoice *timer) {
        _cleanup_free_ char *unit = esc(timer->unit);
        char at[WALL_TIME_MAX_STRING];

        format_wall_time(at, sizeof at, timer->elapse_usec);
        if (timer->decided)
                printf("Waking for the next timer: %s elapses at %s.\n", strnull(unit), at);
        else
                printf("Waking at the asked time: it comes before the next timer, %s, at %s.\n", strnull(unit), at);
}

static void print_plan(const ScheduleArgs *a, const char *id, uint64_t suspend_usec, uint64_t wake_usec) {
        char at[WALL_TIME_MAX_STRING], wake[WALL_TIME_MAX_STRING];
        char in[DURATION_MAX_STRING], asleep[DURATION_MAX_STRING];
        uint64_t now = clock_now_usec(CLOCK_REALTIME);
        _cleanup_free_ char *shown_id = NULL;

        format_wall_time(at, sizeof at, suspend_usec);
        format_wall_time(wake, sizeof wake, wake_usec);
        /* to the nearest second: the call's own latency is not worth a second less */
        format_duration(in, sizeof in,
                        suspend_usec > now ? (suspend_usec - now + USEC_PER_SEC / 2) / USEC_PER_SEC * USEC_PER_SEC : 0);
        format_duration(asleep, sizeof asleep, wake_usec > suspend_usec ? (wake_usec - suspend_usec) / USEC_PER_SEC * USEC_PER_SEC : 0);
        shown_id = esc(id);
        if (isempty(id))
                printf("Dry run: allowed. Would suspend to %s at %s (in %s) and wake at %s (after %s asleep).\n",
                       a->target, at, in, wake, asleep);
        else
                printf("Scheduled request %s: suspend to %s at %s (in %s), wake at %s (after %s asleep).\n"
                       "Cancel before then with: hostpm-suspend --cancel\n",
                       strnull(shown_id), a->target, at, in, wake, asleep);
}

int verb_schedule(sd_bus *bus, const ScheduleArgs *a, OutputFormat output) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(resume_watch_freep) ResumeWatch *watch = NULL;
        uint64_t suspend_usec, wake_usec;
        TimerChoice timer = {0};
        const char *id;
        int r;

        /* Listen before asking, so a quick outcome cannot slip past. */
        if (a->wait && !(a->flags & HOSTPM_FLAG_DRY_RUN)) {
                r = resume_watch_new(bus, &watch);
                if (r < 0)
                        return log_error_errno(r, "Failed to watch hostpmd's signals: %s", STRERROR(r)), EXIT_FAILED;
        }

        if (a->next_timer)
                r = sd_bus_call_method(bus, HOSTPM_BUS_NAME, HOSTPM_OBJECT_PATH, HOSTPM_MANAGER_IFACE,
                                       "ScheduleSuspendUntilNextTimer", &error, &reply, "stttt", a->target,
                                       a->until ? 0 : a->duration_usec, a->until ? a->until_usec : 0,
                                       a->delay_usec, a->flags);
        else if (a->until)
                r = sd_bus_call_method(bus, HOSTPM_BUS_NAME, HOSTPM_OBJECT_PATH, HOSTPM_MANAGER_IFACE,
                                       "ScheduleSuspendUntil", &error, &reply, "sttt",
                                       a->target, a->until_usec, a->delay_usec, a->flags);
        else
                r = sd_bus_call_method(bus, HOSTPM_BUS_NAME, HOSTPM_OBJECT_PATH, HOSTPM_MANAGER_IFACE,
                                       "ScheduleSuspend", &error, &reply, "sttt",
                                       a->target, a->duration_usec, a->delay_usec, a->flags);
        if (r < 0)
                return exit_status_from_error(&error, r, "Failed to schedule the suspend");
        r = sd_bus_message_read(reply, "stt", &id, &suspend_usec, &wake_usec);
        if (r >= 0 && a->next_timer)
                r = sd_bus_message_read(reply, "stb", &timer.unit, &timer.elapse_usec, &timer.decided);
        if (r < 0)
                return exit_status_from_error(&error, r, "Failed to read hostpmd's answer");

        if (output != OUTPUT_JSON) {
                print_plan(a, id, suspend_usec, wake_usec);
                if (a->next_timer)
                        print_timer_choice(&timer);
        } else if ((r = print_plan_json(a, id, suspend_usec, wake_usec, a->next_timer ? &timer : NULL)) < 0)
                /* scheduled all the same: say so, or it would look refused */
                return log_error_errno(r, "Scheduled request %s, but failed to write it as JSON: %s", id,
                                       STRERROR(r)), EXIT_FAILED;
        fflush(stdout);
        if (!watch)
                return EXIT_OK;

        return resume_watch_wait(watch, a->host, id, wake_usec, output);
}
