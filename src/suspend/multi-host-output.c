/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The per-host rows. Workers print JSON whatever the output format: the
 * table is made from it, and --json wraps it, one line per host. What a
 * host sent is someone else's text: it never reaches a terminal raw. */

#include <inttypes.h>
#include <json-c/json.h>

#include "json-util.h"
#include "log.h"
#include "macro.h"
#include "multi-host.h"
#include "timespan.h"

int multi_host_exit_status(const HostResult *results, size_t n) {
        bool all_ok = true, all_same = true;

        for (size_t i = 0; i < n; i++) {
                all_ok = all_ok && results[i].exit_status == EXIT_OK;
                all_same = all_same && results[i].exit_status == results[0].exit_status;
        }
        if (all_ok)
                return EXIT_OK;
        /* all failed alike: the status one host would have given */
        return all_same ? results[0].exit_status : EXIT_HOSTS_DIFFER;
}

/* Control characters (C0, DEL, and C1 as UTF-8) as \xNN. */
static void fputs_sanitized(const char *s, FILE *f) {
        for (const unsigned char *p = (const unsigned char *) s; *p; p++) {
                if (*p < 0x20 || *p == 0x7f)
                        fprintf(f, "\\x%02x", *p);
                else if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
                        fprintf(f, "\\xc2\\x%02x", p[1]);
                        p++;
                } else
                        fputc(*p, f);
        }
}

/* The JSON documents a worker printed, in order; NULL if it printed
 * something else. */
static json_object *parse_output(const HostResult *res) {
        _cleanup_(json_object_putp) json_object *a = json_object_new_array();
        json_tokener *tok;
        const char *p = res->out ? res->out : "";
        size_t left = res->out_size;

        if (!a)
                return NULL;
        tok = json_tokener_new();
        if (!tok)
                return NULL;
        while (left > 0) {
                json_object *o;
                size_t used;

                /* skip the newlines between documents */
                used = strspn(p, " \t\r\n");
                p += used;
                left -= used;
                if (left == 0)
                        break;
                o = json_tokener_parse_ex(tok, p, (int) left);
                if (!o) {
                        json_tokener_free(tok);
                        return NULL;
                }
                if (json_object_array_add(a, o) < 0) {
                        json_object_put(o);
                        json_tokener_free(tok);
                        return NULL;
                }
                used = json_tokener_get_parse_end(tok);
                p += used;
                left -= used;
                json_tokener_reset(tok);
        }
        json_tokener_free(tok);
        return TAKE_PTR(a);
}

/* One line of a worker's messages: without "hostpm-suspend: ", and
 * without the '\r' ssh ends its lines with when it has no terminal. */
static const char *message_text(char *line) {
        size_t prefix = strlen(program_invocation_short_name), n = strlen(line);

        while (n > 0 && IN_SET(line[n - 1], '\r', ' '))
                line[--n] = '\0';
        if (strncmp(line, program_invocation_short_name, prefix) == 0 && strncmp(line + prefix, ": ", 2) == 0)
                return line + prefix + 2;
        return line;
}

/* The worker's messages, one per line. */
static json_object *messages_to_json(const HostResult *res) {
        _cleanup_(json_object_putp) json_object *a = json_object_new_array();
        _cleanup_free_ char *copy = res->err ? strdup(res->err) : NULL;

        if (!a || (res->err && !copy))
                return NULL;
        for (char *line = copy, *next; line && *line; line = next) {
                const char *text;

                next = strchr(line, '\n');
                if (next)
                        *next++ = '\0';
                text = message_text(line);
                if (*text && json_object_array_add(a, json_object_new_string(text)) < 0)
                        return NULL;
        }
        if (res->signal > 0) {
                char m[64];

                snprintf(m, sizeof m, "The worker for this host was killed by signal %d.", res->signal);
                if (json_object_array_add(a, json_object_new_string(m)) < 0)
                        return NULL;
        }
        return TAKE_PTR(a);
}

static const char *or_unknown(const char *s) {
        return s ? s : "?";
}

static const char *get_string(json_object *o, const char *key) {
        json_object *v;

        return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
                       ? json_object_get_string(v) : NULL;
}

static uint64_t get_u64(json_object *o, const char *key) {
        json_object *v;

        return json_object_object_get_ex(o, key, &v) ? json_object_get_uint64(v) : 0;
}

static bool get_bool(json_object *o, const char *key) {
        json_object *v;

        return json_object_object_get_ex(o, key, &v) && json_object_get_boolean(v);
}

static void summarize_schedule(json_object *docs, FILE *f) {
        char at[WALL_TIME_MAX_STRING], wake[WALL_TIME_MAX_STRING], d[DURATION_MAX_STRING];
        json_object *plan = json_object_array_get_idx(docs, 0), *outcome = json_object_array_get_idx(docs, 1);
        const char *id = get_string(plan, "id"), *target = get_string(plan, "target");

        format_wall_time(at, sizeof at, get_u64(plan, "suspend_usec"));
        format_wall_time(wake, sizeof wake, get_u64(plan, "wake_usec"));
        if (get_bool(plan, "dry_run"))
                fprintf(f, "dry run: allowed; would suspend to %s at %s, wake at %s", target ? target : "?", at, wake);
        else {
                fprintf(f, "scheduled: suspend to %s at %s, wake at %s (request ", target ? target : "?", at, wake);
                fputs_sanitized(id ? id : "?", f);
                fputc(')', f);
        }
        if (outcome) {
                const char *result = get_string(outcome, "result"), *error = get_string(outcome, "error");

                fputs("; ", f);
                fputs_sanitized(result ? result : "?", f);
                if (result && streq(result, "resumed"))
                        fprintf(f, ", slept %s, %s",
                                format_duration(d, sizeof d, get_u64(outcome, "slept_usec") / USEC_PER_SEC * USEC_PER_SEC),
                                get_bool(outcome, "woken_by_alarm") ? "woken by the RTC alarm" : "NOT woken by the RTC alarm");
                if (!isempty(error)) {
                        fputs(": ", f);
                        fputs_sanitized(error, f);
                }
        }
}

static void summarize_status(json_object *docs, FILE *f) {
        char at[WALL_TIME_MAX_STRING];
        json_object *s = json_object_array_get_idx(docs, 0), *pending = NULL, *last = NULL;

        (void) json_object_object_get_ex(s, "pending", &pending);
        (void) json_object_object_get_ex(s, "last", &last);
        if (!pending)
                fputs("pending: none", f);
        else {
                fputs("pending: ", f);
                fputs_sanitized(or_unknown(get_string(pending, "state")), f);
                fputs(" to ", f);
                fputs_sanitized(or_unknown(get_string(pending, "target")), f);
                fprintf(f, ", wake at %s", format_wall_time(at, sizeof at, get_u64(pending, "wake_usec")));
        }
        fputs("; last: ", f);
        if (!last)
                fputs("none", f);
        else {
                fputs_sanitized(or_unknown(get_string(last, "result")), f);
                if (get_u64(last, "resume_usec") > 0)
                        fprintf(f, " at %s", format_wall_time(at, sizeof at, get_u64(last, "resume_usec")));
        }
}

static void summarize_capabilities(json_object *docs, FILE *f) {
        json_object *c = json_object_array_get_idx(docs, 0), *pm = NULL, *alarm = NULL;
        size_t n;

        if (!json_object_object_get_ex(c, "power_management", &pm) || !pm)
                fputs("sleep targets unknown", f);
        else {
                n = json_object_array_length(pm);
                fputs(n == 0 ? "supports nothing" : "supports", f);
                for (size_t i = 0; i < n; i++) {
                        fputc(' ', f);
                        fputs_sanitized(json_object_get_string(json_object_array_get_idx(pm, i)), f);
                }
        }
        if (json_object_object_get_ex(c, "wake_alarm", &alarm)) {
                char d[DURATION_MAX_STRING];

                fputs("; wake alarm ", f);
                fputs_sanitized(or_unknown(get_string(alarm, "device")), f);
                if (!get_bool(alarm, "present"))
                        fputs(" absent", f);
                else
                        fprintf(f, ", up to %s",
                                format_duration(d, sizeof d, get_u64(alarm, "max_seconds") * USEC_PER_SEC));
        }
}

/* "; eno1 52:54:00:12:34:56 magic on" per interface that can wake by magic packet */
static void summarize_wake_on_lan(json_object *c, FILE *f) {
        json_object *net = NULL, *list = NULL;

        if (!json_object_object_get_ex(c, "network_interfaces", &net) ||
            !json_object_object_get_ex(net, "interfaces", &list))
                return;
        for (size_t i = 0; i < json_object_array_length(list); i++) {
                json_object *e = json_object_array_get_idx(list, i), *wol = NULL, *modes = NULL;
                bool supported = false, enabled = false;

                if (!json_object_object_get_ex(e, "wake_on_lan", &wol))
                        continue;
                for (int k = 0; k < 2; k++)
                        if (json_object_object_get_ex(wol, k == 0 ? "supported" : "enabled", &modes))
                                for (size_t j = 0; j < json_object_array_length(modes); j++)
                                        if (streq_ptr(json_object_get_string(json_object_array_get_idx(modes, j)), "magic"))
                                                *(k == 0 ? &supported : &enabled) = true;
                if (!supported)
                        continue;
                fputs("; ", f);
                fputs_sanitized(or_unknown(get_string(e, "name")), f);
                fputc(' ', f);
                fputs_sanitized(or_unknown(get_string(e, "mac")), f);
                fputs(enabled ? " wake-on-lan on" : " wake-on-lan off", f);
        }
}

static void summarize(const HostResult *res, json_object *docs, MultiHostVerb verb, FILE *f) {
        bool first = true;

        if (res->exit_status == EXIT_OK && docs && json_object_array_length(docs) > 0) {
                switch (verb) {
                case MULTI_HOST_SCHEDULE:
                        summarize_schedule(docs, f);
                        return;
                case MULTI_HOST_CANCEL:
                        fputs("cancelled request ", f);
                        fputs_sanitized(or_unknown(get_string(json_object_array_get_idx(docs, 0), "cancelled")), f);
                        return;
                case MULTI_HOST_STATUS:
                        summarize_status(docs, f);
                        return;
                case MULTI_HOST_CAPABILITIES:
                        summarize_capabilities(docs, f);
                        summarize_wake_on_lan(json_object_array_get_idx(docs, 0), f);
                        return;
                }
        }

        /* a failure: what the worker said, on one line */
        for (const char *line = res->err; line && *line;) {
                size_t len = strcspn(line, "\n");
                _cleanup_free_ char *l = strndup(line, len);
                const char *text = l ? message_text(l) : NULL;

                if (text && *text) {
                        fputs(first ? "" : "; ", f);
                        fputs_sanitized(text, f);
                        first = false;
                }
                line += len + (line[len] == '\n');
        }
        if (res->signal > 0)
                fprintf(f, "%skilled by signal %d", first ? "" : "; ", res->signal), first = false;
        if (first)
                fputs(res->exit_status == EXIT_OK ? "done" : "failed without a message", f);
}

static int print_json_line(const HostResult *res, json_object *docs) {
        _cleanup_(json_object_putp) json_object *o = json_object_new_object();

        if (!o ||
            json_add(o, "host", json_object_new_string(res->host)) < 0 ||
            json_add(o, "exit_status", json_object_new_int(res->exit_status)) < 0 ||
            json_add(o, "status", json_object_new_string(exit_status_to_string(res->exit_status))) < 0 ||
            json_add(o, "elapsed_usec", json_object_new_uint64(res->elapsed_usec)) < 0 ||
            json_add(o, "output", docs ? json_object_get(docs) : json_object_new_array()) < 0 ||
            json_add(o, "messages", messages_to_json(res)) < 0)
                return -ENOMEM;
        if (!docs && json_add(o, "output_text", json_object_new_string(res->out ? res->out : "")) < 0)
                return -ENOMEM;
        if (res->truncated && json_add(o, "truncated", json_object_new_boolean(true)) < 0)
                return -ENOMEM;
        puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
        return 0;
}

int multi_host_print(const HostResult *results, size_t n, MultiHostVerb verb, OutputFormat output) {
        int width = 4, status_width = 6;

        for (size_t i = 0; i < n; i++) {
                if ((int) strlen(results[i].host) > width)
                        width = (int) strlen(results[i].host);
                if ((int) strlen(exit_status_to_string(results[i].exit_status)) > status_width)
                        status_width = (int) strlen(exit_status_to_string(results[i].exit_status));
        }
        if (output != OUTPUT_JSON)
                printf("%-*s  %-*s  %s\n", width, "HOST", status_width, "STATUS", "RESULT");

        for (size_t i = 0; i < n; i++) {
                _cleanup_(json_object_putp) json_object *docs = parse_output(&results[i]);

                if (output == OUTPUT_JSON) {
                        if (print_json_line(&results[i], docs) < 0)
                                return log_oom();
                        continue;
                }
                printf("%-*s  %-*s  ", width, results[i].host, status_width, exit_status_to_string(results[i].exit_status));
                summarize(&results[i], docs, verb, stdout);
                putchar('\n');
        }
        return 0;
}
