/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <inttypes.h>

#include "bus-names.h"
#include "capabilities-xml.h"
#include "fileio.h"
#include "history-client.h"
#include "log.h"
#include "macro.h"
#include "metrics.h"
#include "verbs.h"

/* The results a finished request can have: every pair is written, zeros
 * included, so that rate() sees a series from its first scrape. */
static const OutcomeResult final_results[] = {
        OUTCOME_RESUMED, OUTCOME_FAILED, OUTCOME_REFUSED, OUTCOME_CANCELLED,
};

/* Seconds with the microseconds as decimals: exact, no float rounding. */
static void put_seconds(FILE *f, int64_t sign, uint64_t usec) {
        fprintf(f, "%s%" PRIu64 ".%06" PRIu64 "\n", sign < 0 && usec > 0 ? "-" : "", usec / USEC_PER_SEC,
                usec % USEC_PER_SEC);
}

/* A label value in the exposition format: \, " and newline escaped. */
static void put_label_value(FILE *f, const char *s) {
        for (; *s; s++)
                if (*s == '\\' || *s == '"')
                        fprintf(f, "\\%c", *s);
                else if (*s == '\n')
                        fputs("\\n", f);
                else
                        fputc(*s, f);
}

static void put_family(FILE *f, const char *name, const char *type, const char *help) {
        fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

int metrics_write(FILE *f, const History *h, const RtcInfo *rtc) {
        const HistoryEntry *last = NULL;

        for (size_t i = h->n_entries; i > 0 && !last; i--)
                if (h->entries[i - 1].result == OUTCOME_RESUMED)
                        last = &h->entries[i - 1];

        put_family(f, "hostpm_suspends_total", "counter",
                   "Suspend requests that finished, by sleep target and result.");
        for (SleepTarget t = 0; t < _SLEEP_TARGET_MAX; t++)
                for (size_t i = 0; i < ELEMENTSOF(final_results); i++)
                        fprintf(f, "hostpm_suspends_total{target=\"%s\",result=\"%s\"} %" PRIu64 "\n",
                                sleep_target_to_string(t), outcome_result_to_string(final_results[i]),
                                h->counts[t][final_results[i]]);

        put_family(f, "hostpm_asleep_seconds_total", "counter",
                   "Time the host spent asleep in suspends that hostpm asked for.");
        fputs("hostpm_asleep_seconds_total ", f);
        put_seconds(f, 1, h->slept_usec_total);

        if (last) {
                put_family(f, "hostpm_last_wake_error_seconds", "gauge",
                           "Time asked minus time asleep in the last suspend that resumed "
                           "(positive: the host woke early).");
                fputs("hostpm_last_wake_error_seconds ", f);
                if (last->asked_usec >= last->slept_usec)
                        put_seconds(f, 1, last->asked_usec - last->slept_usec);
                else
                        put_seconds(f, -1, last->slept_usec - last->asked_usec);

                put_family(f, "hostpm_last_resume_timestamp_seconds", "gauge",
                           "When the host last resumed from a suspend that hostpm asked for, "
                           "in seconds since the epoch.");
                fputs("hostpm_last_resume_timestamp_seconds ", f);
                put_seconds(f, 1, last->resume_usec);
        }

        if (rtc) {
                /* as hostpmd decides: present, with a wakealarm, not forbidden to wake */
                bool ready = rtc->present && rtc->has_wakealarm && rtc->wakeup != RTC_WAKEUP_DISABLED;

                put_family(f, "hostpm_wake_alarm_ready", "gauge",
                           "Whether the RTC wake alarm can wake the host (1) or not (0).");
                fputs("hostpm_wake_alarm_ready{device=\"", f);
                put_label_value(f, rtc->device ? rtc->device : "");
                fprintf(f, "\"} %d\n", ready ? 1 : 0);
        }

        put_family(f, "hostpm_history_unreadable_records", "gauge",
                   "Records of hostpmd's history that could not be read (corrupt or cut off).");
        fprintf(f, "hostpm_history_unreadable_records %zu\n", h->n_unreadable);
        return ferror(f) ? -EIO : 0;
}

static int read_rtc(sd_bus *bus, Capabilities *ret, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *xml;
        int r;

        r = sd_bus_call_method(bus, HOSTPM_BUS_NAME, HOSTPM_OBJECT_PATH, HOSTPM_MANAGER_IFACE, "GetCapabilities",
                               error, &reply, NULL);
        if (r < 0)
                return r;
        r = sd_bus_message_read(reply, "s", &xml);
        if (r < 0)
                return r;
        return capabilities_from_xml(xml, ret);
}

static int write_output(const char *path, const char *text, size_t size) {
        _cleanup_free_ char *dir = NULL;
        const char *slash = strrchr(path, '/'), *name = slash ? slash + 1 : path;
        int r;

        if (isempty(name) || streq(name, ".") || streq(name, "..")) {
                log_error("--output=%s names no file; expected a path such as "
                          "/var/lib/prometheus/node-exporter/hostpm.prom", path);
                return EXIT_USAGE;
        }
        dir = slash == path ? strdup("/") : slash ? strndup(path, (size_t) (slash - path)) : strdup(".");
        if (!dir)
                return log_oom(), EXIT_FAILED;
        r = write_file_atomic(dir, name, text, size, 0644);
        if (r < 0) {
                log_error("Failed to write %s: %s", path, STRERROR(r));
                return EXIT_FAILED;
        }
        return EXIT_OK;
}

int verb_metrics(sd_bus *bus, const char *output_path) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(capabilities_done) Capabilities c = {0};
        _cleanup_(history_done) History h = {0};
        _cleanup_free_ char *text = NULL;
        size_t size = 0;
        FILE *f;
        int r;

        r = history_call(bus, 0, &h, &error);
        if (r < 0 && !sd_bus_error_is_set(&error)) {
                log_error("hostpmd sent a history this version does not understand: %s", STRERROR(r));
                return EXIT_FAILED;
        }
        if (r < 0)
                return exit_status_from_error(&error, r, "Failed to read the history");
        r = read_rtc(bus, &c, &error);
        if (r < 0 && !sd_bus_error_is_set(&error)) {
                log_error("hostpmd sent a capabilities document this version does not understand.");
                return EXIT_FAILED;
        }
        if (r < 0)
                return exit_status_from_error(&error, r, "Failed to ask hostpmd for the capabilities");

        /* all of it, or nothing: a failure leaves the old file in place */
        f = open_memstream(&text, &size);
        if (!f)
                return log_oom(), EXIT_FAILED;
        r = metrics_write(f, &h, &c.rtc);
        if (fclose(f) != 0 || r < 0)
                return log_oom(), EXIT_FAILED;

        if (output_path)
                return write_output(output_path, text, size);
        fwrite(text, 1, size, stdout);
        return EXIT_OK;
}
