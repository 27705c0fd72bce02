/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* ResumeProgram: a magic packet to exactly the listed nodes, to the MAC
 * their record holds, sent by hostpm-suspend --wake (Repeat= rounds). ResumeFailProgram: the record says the node did not
 * come back in time, and when its RTC safety alarm will wake it. */

#include <inttypes.h>

#include "json-util.h"
#include "log.h"
#include "node-event.h"
#include "node-record.h"
#include "program-run.h"
#include "slurm-verbs.h"
#include "timespan.h"
#include "wake-details.h"
#include "wol.h"

#define DEFAULT_BROADCAST "255.255.255.255"
#define WAKE_TIMEOUT_USEC (30 * USEC_PER_SEC)

static void record(Context *c, const char *node, const char *section, json_object *value) {
        int r;

        if (!value) {
                (void) log_oom();
                return;
        }
        r = node_record_update(c->state_dir, node, section, value);
        if (r < 0)
                log_warning_errno(r, "Failed to update the record of %s in %s: %s%s", node, c->state_dir, STRERROR(r),
                                  node_record_hint(r));
}

typedef struct Wake {
        const char *node;
        json_object *record;
        char mac[ETHER_ADDR_STRING_MAX];
        char *error;      /* why it was not woken */
        char *last_error; /* what hostpm-suspend --wake said */
        unsigned sent;    /* packets that went out */
} Wake;

/* Why the node cannot be woken, from its record; NULL if it can. */
static char *mac_of(Context *c, Wake *w) {
        uint8_t bytes[ETHER_ADDR_LEN_BYTES];
        const char *mac;
        char *error = NULL;
        int r;

        r = node_record_load(c->state_dir, w->node, &w->record);
        if (r < 0)
                r = asprintf(&error, "its record in %s cannot be read: %s", c->state_dir, STRERROR(r));
        else if (!(mac = node_record_get_string(w->record, "wake", "mac")))
                r = asprintf(&error, "no MAC address recorded for it in %s (was it suspended by hostpm-slurm?)",
                             c->state_dir);
        else if (ether_addr_from_string(mac, bytes) < 0 || !ether_addr_is_unicast(bytes))
                r = asprintf(&error, "the MAC address recorded for it is not one NIC's: %s", mac);
        else {
                ether_addr_to_string(bytes, w->mac);
                return NULL;
        }
        return r < 0 ? strdup("out of memory") : error;
}

/* One round: `hostpm-suspend --wake --json MAC…`, one line per MAC. */
static int send_round(Context *c, Wake *wakes, size_t n, const char *broadcast) {
        _cleanup_(program_result_done) ProgramResult res = {0};
        _cleanup_free_ char **argv = calloc(n + 8, sizeof *argv);
        _cleanup_free_ char *b = NULL, *p = NULL, *i = NULL;
        size_t a = 0;
        int r;

        if (!argv || asprintf(&b, "--broadcast=%s", broadcast) < 0 || asprintf(&p, "--port=%u", c->config.port) < 0 ||
            (c->config.interface && asprintf(&i, "--interface=%s", c->config.interface) < 0))
                return -ENOMEM;
        argv[a++] = (char *) c->hostpm_suspend;
        argv[a++] = (char *) "--wake";
        argv[a++] = (char *) "--json";
        argv[a++] = b;
        argv[a++] = p;
        if (i)
                argv[a++] = i;
        for (size_t k = 0; k < n; k++)
                if (!wakes[k].error)
                        argv[a++] = wakes[k].mac;

        r = program_run(argv, WAKE_TIMEOUT_USEC, 1024 * 1024, &res);
        if (r < 0)
                return r;
        for (char *line = res.out, *next; line && *line; line = next) {
                _cleanup_(json_object_putp) json_object *o = NULL;
                json_object *v;

                next = strchr(line, '\n');
                if (next)
                        *next++ = '\0';
                o = json_tokener_parse(line);
                if (!o || !json_object_object_get_ex(o, "target", &v))
                        continue;
                for (size_t k = 0; k < n; k++) {
                        Wake *w = &wakes[k];

                        if (w->error || !streq(w->mac, json_object_get_string(v)))
                                continue;
                        if (json_object_object_get_ex(o, "sent", &v) && json_object_get_boolean(v))
                                w->sent++;
                        else if (json_object_object_get_ex(o, "error", &v)) {
                                free(w->last_error);
                                w->last_error = strdup(json_object_get_string(v));
                        }
                }
        }
        if (res.status != 0)
                log_debug("%s --wake exited with status %d: %s", c->hostpm_suspend, res.status, res.err);
        return 0;
}

static void wake_done(Context *c, Wake *w, const char *broadcast, uint64_t sent_usec) {
        _cleanup_(json_object_putp) json_object *s = json_object_new_object();
        const char *told = NULL;

        if (!w->error && w->sent == 0 &&
            asprintf(&w->error, "no magic packet went out to %s:%u: %s", broadcast, c->config.port,
                     w->last_error ? w->last_error : "hostpm-suspend --wake sent nothing") < 0)
                w->error = NULL;
        if (w->error)
                told = context_set_down(w->node, w->error);
        if (!s || json_add(s, "result", json_object_new_string(w->error ? "failed" : "sent")) < 0 ||
            json_add(s, "usec", json_object_new_uint64(sent_usec)) < 0 ||
            json_add(s, "mac", json_object_new_string(w->mac)) < 0 ||
            json_add(s, "broadcast", json_object_new_string(broadcast)) < 0 ||
            json_add(s, "port", json_object_new_int(c->config.port)) < 0 ||
            json_add(s, "packets", json_object_new_int((int) w->sent)) < 0 ||
            (w->error && json_add(s, "error", json_object_new_string(w->error)) < 0) ||
            (w->error && json_add(s, "slurm", json_object_new_string(told ? told : "")) < 0))
                (void) log_oom();
        else
                record(c, w->node, "resume", TAKE_PTR(s));

        if (w->error)
                node_event_log(HOSTPM_SLURM_MESSAGE_WAKE_FAILED,
                               &(NodeEvent) { .node = w->node, .action = "resume", .result = "failed",
                                              .mac = w->mac, .error = w->error, .slurm = told },
                               "Node %s not woken: %s%s", w->node, w->error,
                               told ? "; Slurm was told the node is DOWN" : "");
        else
                node_event_log(HOSTPM_SLURM_MESSAGE_WOKEN,
                               &(NodeEvent) { .node = w->node, .action = "resume", .result = "sent", .mac = w->mac,
                                              .request_id = node_record_get_string(w->record, "suspend", "id"),
                                              .alarm_usec = node_record_get_u64(w->record, "suspend", "alarm_usec") },
                               "Node %s: magic packet to %s sent %u time%s to %s:%u.", w->node, w->mac, w->sent,
                               w->sent == 1 ? "" : "s", broadcast, c->config.port);
}

int verb_resume(Context *c, const char *hostlist) {
        const char *broadcast = c->config.broadcast ? c->config.broadcast : DEFAULT_BROADCAST;
        _cleanup_free_ Wake *wakes = NULL;
        char **names = NULL;
        size_t n = 0, wakeable = 0;
        uint64_t sent_usec;
        bool failed = false;

        if (context_expand(hostlist, &names, &n) < 0)
                return EXIT_USAGE;
        wakes = calloc(n, sizeof *wakes);
        if (!wakes) {
                hostlist_free(names);
                return log_oom();
        }
        log_info("Waking %zu node%s by Wake-on-LAN: %s", n, n == 1 ? "" : "s", hostlist);
        for (size_t i = 0; i < n; i++) {
                wakes[i].node = names[i];
                wakes[i].error = mac_of(c, &wakes[i]);
                wakeable += !wakes[i].error;
        }
        sent_usec = clock_now_usec(CLOCK_REALTIME);  /* the first packet's time, for the record */
        for (unsigned round = 0; wakeable > 0 && round < c->config.repeat; round++) {
                int r = send_round(c, wakes, n, broadcast);

                if (r < 0) {
                        log_error_errno(r, "Failed to run %s --wake: %s", c->hostpm_suspend, STRERROR(r));
                        break;
                }
        }
        for (size_t i = 0; i < n; i++) {
                wake_done(c, &wakes[i], broadcast, sent_usec);
                failed = failed || wakes[i].error;
                json_object_put(wakes[i].record);
                free(wakes[i].error);
                free(wakes[i].last_error);
        }
        hostlist_free(names);
        return failed ? EXIT_NODES_FAILED : 0;
}

/* The record says the node's interface cannot wake on a magic packet. */
static bool no_magic(json_object *rec) {
        WakeDetails w = {
                .wol_supported = (char *) node_record_get_string(rec, "wake", "wol_supported"),
                .interface = (char *) node_record_get_string(rec, "wake", "interface"),
        };

        return w.interface && w.wol_supported && !wake_details_magic_supported(&w);
}

static void resume_failed(Context *c, const char *node) {
        _cleanup_(json_object_putp) json_object *rec = NULL;
        _cleanup_free_ char *error = NULL, *cause = NULL;
        char sent[WALL_TIME_MAX_STRING], alarm[WALL_TIME_MAX_STRING];
        uint64_t sent_usec = 0, alarm_usec = 0;
        const char *mac = NULL;

        if (node_record_load(c->state_dir, node, &rec) >= 0) {
                mac = node_record_get_string(rec, "resume", "mac");
                sent_usec = node_record_get_u64(rec, "resume", "usec");
                alarm_usec = node_record_get_u64(rec, "suspend", "alarm_usec");
        }
        if (!streq_ptr(node_record_get_string(rec, "resume", "result"), "sent"))
                sent_usec = 0;
        else if (no_magic(rec)) {
                if (asprintf(&cause, " (its interface %s reported no magic-packet wake when it was suspended)",
                             node_record_get_string(rec, "wake", "interface")) < 0)
                        cause = NULL;
        } else
                cause = strdup(" (its interface may not have been armed for magic-packet wake, or the packet "
                               "was lost)");
        if (asprintf(&error, "slurmd did not register within ResumeTimeout%s%s%s%s%s; %s%s%s",
                     sent_usec ? " after the magic packet to " : " (no magic packet was sent",
                     sent_usec ? mac : "", sent_usec ? " at " : "",
                     sent_usec ? (format_wall_time(sent, sizeof sent, sent_usec) ? sent : "?") : "",
                     sent_usec ? (cause ? cause : "") : ")",
                     alarm_usec ? "its RTC safety alarm wakes it at " : "no RTC alarm is recorded for it",
                     alarm_usec ? (format_wall_time(alarm, sizeof alarm, alarm_usec) ? alarm : "?") : "",
                     alarm_usec ? " at the latest" : "") < 0) {
                (void) log_oom();
                return;
        }

        {
                _cleanup_(json_object_putp) json_object *s = json_object_new_object();

                if (!s || json_add(s, "usec", json_object_new_uint64(clock_now_usec(CLOCK_REALTIME))) < 0 ||
                    json_add(s, "error", json_object_new_string(error)) < 0)
                        (void) log_oom();
                else
                        record(c, node, "resume_failed", TAKE_PTR(s));
        }
        node_event_log(HOSTPM_SLURM_MESSAGE_RESUME_FAILED,
                       &(NodeEvent) { .node = node, .action = "resume-fail", .result = "failed", .mac = mac,
                                      .alarm_usec = alarm_usec, .error = error, .slurm = "DOWN" },
                       "Node %s did not come back: %s.", node, error);
}

int verb_resume_fail(Context *c, const char *hostlist) {
        char **names = NULL;
        size_t n = 0;

        if (context_expand(hostlist, &names, &n) < 0)
                return EXIT_USAGE;
        for (size_t i = 0; i < n; i++)
                resume_failed(c, names[i]);
        hostlist_free(names);
        return 0;
}
