/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* ResumeProgram: a magic packet to exactly the listed nodes, to the MAC
 * their record holds. ResumeFailProgram: the record says the node did not
 * come back in time, and when its RTC safety alarm will wake it. */

#include <inttypes.h>

#include "json-util.h"
#include "log.h"
#include "magic-packet.h"
#include "node-event.h"
#include "node-record.h"
#include "slurm-verbs.h"
#include "timespan.h"
#include "wake-details.h"

#define DEFAULT_BROADCAST "255.255.255.255"

static void record(Context *c, const char *node, const char *section, json_object *value) {
        int r;

        if (!value) {
                (void) log_oom();
                return;
        }
        r = node_record_update(c->state_dir, node, section, value);
        if (r < 0)
                log_warning_errno(r, "Failed to update the record of %s in %s: %s", node, c->state_dir, STRERROR(r));
}

static bool wake_one(Context *c, const char *node, const char *broadcast) {
        _cleanup_(json_object_putp) json_object *rec = NULL, *s = json_object_new_object();
        _cleanup_free_ char *error = NULL;
        const char *mac = NULL, *told = NULL;
        unsigned char bytes[6];
        uint64_t now = clock_now_usec(CLOCK_REALTIME);
        int r;

        r = node_record_load(c->state_dir, node, &rec);
        if (r < 0)
                r = asprintf(&error, "its record in %s cannot be read: %s", c->state_dir, STRERROR(r));
        else if (!(mac = node_record_get_string(rec, "wake", "mac")))
                r = asprintf(&error, "no MAC address recorded for it in %s (was it suspended by hostpm-slurm?)",
                             c->state_dir);
        else if (mac_from_string(mac, bytes) < 0)
                r = asprintf(&error, "the MAC address recorded for it is not one: %s", mac);
        else if ((r = magic_packet_send(bytes, broadcast, c->config.port, c->config.repeat)) < 0)
                r = asprintf(&error, "sending the magic packet to %s:%u failed: %s", broadcast, c->config.port,
                             STRERROR(r));
        if (r < 0)
                return log_oom(), false;

        if (!s || json_add(s, "result", json_object_new_string(error ? "failed" : "sent")) < 0 ||
            json_add(s, "usec", json_object_new_uint64(now)) < 0 ||
            json_add(s, "mac", json_object_new_string(mac ? mac : "")) < 0 ||
            json_add(s, "broadcast", json_object_new_string(broadcast)) < 0 ||
            json_add(s, "port", json_object_new_int(c->config.port)) < 0 ||
            json_add(s, "packets", json_object_new_int(error ? 0 : (int) c->config.repeat)) < 0 ||
            (error && json_add(s, "error", json_object_new_string(error)) < 0))
                return log_oom(), false;

        if (error) {
                told = context_set_down(node, error);
                if (json_add(s, "slurm", json_object_new_string(told ? told : "")) < 0)
                        return log_oom(), false;
                record(c, node, "resume", TAKE_PTR(s));
                node_event_log(HOSTPM_SLURM_MESSAGE_WAKE_FAILED,
                               &(NodeEvent) { .node = node, .action = "resume", .result = "failed", .mac = mac,
                                              .error = error, .slurm = told },
                               "Node %s not woken: %s%s", node, error,
                               told ? "; Slurm was told the node is DOWN" : "");
                return false;
        }
        record(c, node, "resume", TAKE_PTR(s));
        node_event_log(HOSTPM_SLURM_MESSAGE_WOKEN,
                       &(NodeEvent) { .node = node, .action = "resume", .result = "sent", .mac = mac,
                                      .request_id = node_record_get_string(rec, "suspend", "id"),
                                      .alarm_usec = node_record_get_u64(rec, "suspend", "alarm_usec") },
                       "Node %s: magic packet to %s sent %u time%s to %s:%u.", node, mac, c->config.repeat,
                       c->config.repeat == 1 ? "" : "s", broadcast, c->config.port);
        return true;
}

int verb_resume(Context *c, const char *hostlist) {
        const char *broadcast = c->config.broadcast ? c->config.broadcast : DEFAULT_BROADCAST;
        char **names = NULL;
        size_t n = 0;
        bool failed = false;

        if (context_expand(hostlist, &names, &n) < 0)
                return EXIT_USAGE;
        log_info("Waking %zu node%s by Wake-on-LAN: %s", n, n == 1 ? "" : "s", hostlist);
        for (size_t i = 0; i < n; i++)
                failed = !wake_one(c, names[i], broadcast) || failed;
        hostlist_free(names);
        return failed ? EXIT_NODES_FAILED : 0;
}

static void resume_failed(Context *c, const char *node) {
        _cleanup_(json_object_putp) json_object *rec = NULL;
        _cleanup_free_ char *error = NULL;
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
        if (asprintf(&error, "slurmd did not register within ResumeTimeout%s%s%s%s%s; %s%s%s",
                     sent_usec ? " after the magic packet to " : " (no magic packet was sent",
                     sent_usec ? mac : "", sent_usec ? " at " : "",
                     sent_usec ? (format_wall_time(sent, sizeof sent, sent_usec) ? sent : "?") : "",
                     sent_usec ? " (its NIC may not be armed for magic-packet wake, or the packet was lost)" : ")",
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
