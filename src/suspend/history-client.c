/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <inttypes.h>
#include <json-c/json.h>
#include <time.h>

#include "bus-names.h"
#include "history-client.h"
#include "json-util.h"
#include "log.h"
#include "macro.h"
#include "timespan.h"

static int read_entry(sd_bus_message *reply, HistoryEntry *ret) {
        const char *id, *target, *result, *wake, *error;
        HistoryEntry e = {0};
        uint32_t uid;
        int r;

        r = sd_bus_message_read(reply, "(tsssttsttus)", &e.finished_usec, &id, &target, &result, &e.asked_usec,
                                &e.slept_usec, &wake, &e.suspend_usec, &e.resume_usec, &uid, &error);
        if (r <= 0)
                return r;
        e.result = outcome_result_from_string(result);
        e.wake_source = wake_source_from_string(wake);
        if (e.result < 0 || e.wake_source < 0 || sleep_target_from_string(target) < 0)
                return -EBADMSG;  /* a newer hostpmd: say so rather than guess */
        e.requester_uid = (uid_t) uid;
        e.id = strdup(id);
        e.target = strdup(target);
        e.error = strdup(error);
        if (!e.id || !e.target || !e.error) {
                history_entry_done(&e);
                return -ENOMEM;
        }
        *ret = e;
        return 1;
}

int history_call(sd_bus *bus, uint64_t since_usec, History *ret, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(history_done) History h = {0};
        const char *target, *result;
        uint32_t unreadable;
        uint64_t count;
        int r;

        r = sd_bus_call_method(bus, HOSTPM_BUS_NAME, HOSTPM_OBJECT_PATH, HOSTPM_MANAGER_IFACE, "GetHistory",
                               error, &reply, "t", since_usec);
        if (r < 0)
                return r;

        r = sd_bus_message_enter_container(reply, 'a', "(tsssttsttus)");
        if (r < 0)
                return r;
        for (;;) {
                _cleanup_(history_entry_done) HistoryEntry e = {0};
                HistoryEntry *n;

                r = read_entry(reply, &e);
                if (r < 0)
                        return r;
                if (r == 0)
                        break;
                n = reallocarray(h.entries, h.n_entries + 1, sizeof *n);
                if (!n)
                        return -ENOMEM;
                h.entries = n;
                h.entries[h.n_entries++] = e;
                e = (HistoryEntry) {0};
        }
        r = sd_bus_message_exit_container(reply);
        if (r < 0)
                return r;

        r = sd_bus_message_enter_container(reply, 'a', "(sst)");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_read(reply, "(sst)", &target, &result, &count)) > 0) {
                SleepTarget t = sleep_target_from_string(target);
                OutcomeResult o = outcome_result_from_string(result);

                if (t < 0 || o < 0)
                        return -EBADMSG;
                h.counts[t][o] = count;
        }
        if (r < 0)
                return r;
        r = sd_bus_message_exit_container(reply);
        if (r < 0)
                return r;

        r = sd_bus_message_read(reply, "tu", &h.slept_usec_total, &unreadable);
        if (r < 0)
                return r;
        h.n_unreadable = unreadable;

        *ret = h;
        h = (History) {0};
        return 0;
}

int parse_since(const char *s, uint64_t now_usec, uint64_t *ret_usec) {
        uint64_t t;
        int r;

        if (isempty(s))
                return -EINVAL;
        /* a span: that long ago */
        if (parse_duration(s, &t) >= 0) {
                *ret_usec = t < now_usec ? now_usec - t : 0;
                return 0;
        }
        /* a date alone: its midnight */
        if (strlen(s) == 10 && s[4] == '-' && s[7] == '-') {
                char buf[32];

                (void) snprintf(buf, sizeof buf, "%s 00:00:00", s);
                r = parse_wake_time(buf, now_usec, &t);
        } else
                /* "HH:MM" is the next time after now-1d: the last time the clock showed it */
                r = parse_wake_time(s, now_usec > USEC_PER_DAY ? now_usec - USEC_PER_DAY : 0, &t);
        if (r < 0)
                return -EINVAL;
        if (t > now_usec)
                return -ETIME;
        *ret_usec = t;
        return 0;
}

/* Text from hostpmd's record may come from other users (an inhibitor's
 * "why"): control characters, C1 included, are shown escaped, never sent
 * to the terminal. */
static void print_escaped(const char *s) {
        for (const unsigned char *p = (const unsigned char *) s; *p; p++) {
                if (*p < 0x20 || *p == 0x7f)
                        printf("\\x%02x", *p);
                else if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
                        printf("\\u%04x", p[1]);
                        p++;
                } else
                        putchar(*p);
        }
}

static const char *dash_if_empty(const char *s) {
        return isempty(s) ? "-" : s;
}

static void print_table(const History *h) {
        char when[WALL_TIME_MAX_STRING], asked[DURATION_MAX_STRING], slept[DURATION_MAX_STRING];
        uint64_t total = 0, per_result[_OUTCOME_RESULT_MAX] = {0};

        if (h->n_entries == 0)
                printf("No finished requests recorded.\n");
        else
                printf("%-24s %-22s %-9s %-10s %-14s %-10s %-10s %s\n", "FINISHED", "TARGET", "RESULT", "ASKED",
                       "SLEPT", "WOKEN BY", "UID", "ID");
        for (size_t i = 0; i < h->n_entries; i++) {
                const HistoryEntry *e = &h->entries[i];

                printf("%-24s %-22s %-9s %-10s %-14s %-10s %-10" PRIu32 " %s\n",
                       format_wall_time(when, sizeof when, e->finished_usec) ? when : "?",
                       e->target, outcome_result_to_string(e->result),
                       format_duration(asked, sizeof asked, e->asked_usec),
                       e->result == OUTCOME_RESUMED
                               ? format_duration(slept, sizeof slept, e->slept_usec / USEC_PER_MSEC * USEC_PER_MSEC)
                               : "-",
                       dash_if_empty(wake_source_to_string(e->wake_source)), (uint32_t) e->requester_uid, e->id);
                if (!isempty(e->error)) {
                        printf("    ");
                        print_escaped(e->error);
                        printf("\n");
                }
        }

        for (SleepTarget t = 0; t < _SLEEP_TARGET_MAX; t++)
                for (OutcomeResult o = 0; o < _OUTCOME_RESULT_MAX; o++) {
                        total += h->counts[t][o];
                        per_result[o] += h->counts[t][o];
                }
        if (total == 0)
                return;
        printf("\nSince the history began: %" PRIu64 " request%s", total, total == 1 ? "" : "s");
        for (OutcomeResult o = 0; o < _OUTCOME_RESULT_MAX; o++)
                if (per_result[o] > 0)
                        printf(", %" PRIu64 " %s", per_result[o], outcome_result_to_string(o));
        printf("; %s asleep.\n",
               format_duration(slept, sizeof slept, h->slept_usec_total / USEC_PER_SEC * USEC_PER_SEC));
}

static int print_json_lines(const History *h) {
        for (size_t i = 0; i < h->n_entries; i++) {
                const HistoryEntry *e = &h->entries[i];
                _cleanup_(json_object_putp) json_object *j = json_object_new_object();

                if (!j ||
                    json_add(j, "finished_usec", json_object_new_uint64(e->finished_usec)) < 0 ||
                    json_add(j, "id", json_object_new_string(e->id)) < 0 ||
                    json_add(j, "target", json_object_new_string(e->target)) < 0 ||
                    json_add(j, "result", json_object_new_string(outcome_result_to_string(e->result))) < 0 ||
                    json_add(j, "asked_usec", json_object_new_uint64(e->asked_usec)) < 0 ||
                    json_add(j, "slept_usec", json_object_new_uint64(e->slept_usec)) < 0 ||
                    json_add(j, "wake_source", json_object_new_string(wake_source_to_string(e->wake_source))) < 0 ||
                    json_add(j, "suspend_usec", json_object_new_uint64(e->suspend_usec)) < 0 ||
                    json_add(j, "resume_usec", json_object_new_uint64(e->resume_usec)) < 0 ||
                    json_add(j, "requester_uid", json_object_new_int64((int64_t) e->requester_uid)) < 0 ||
                    json_add(j, "error", json_object_new_string(e->error)) < 0)
                        return log_oom();
                puts(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
        }
        return 0;
}

int verb_history(sd_bus *bus, uint64_t since_usec, OutputFormat output) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(history_done) History h = {0};
        int r;

        r = history_call(bus, since_usec, &h, &error);
        if (r == -EBADMSG && !sd_bus_error_is_set(&error)) {
                log_error("hostpmd sent a history this version does not understand.");
                return EXIT_FAILED;
        }
        if (r < 0)
                return exit_status_from_error(&error, r, "Failed to read the history");

        if (h.n_unreadable > 0)
                log_warning("warning: %zu record(s) of hostpmd's history could not be read (corrupt or cut off) "
                            "and are left out; see journalctl -u hostpmd.service", h.n_unreadable);

        if (output == OUTPUT_JSON)
                return print_json_lines(&h) < 0 ? EXIT_FAILED : EXIT_OK;
        print_table(&h);
        return EXIT_OK;
}
