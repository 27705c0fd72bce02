/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* SuspendProgram: for all nodes at once, hostpm-suspend --capabilities,
 * the wake details into each node's record, then hostpm-suspend with the
 * RTC safety alarm (MaximumSleep=, or the node's own maximum if lower).
 * A node with no MAC to send its magic packet to is not suspended (one
 * whose interface reports no magic-packet wake is, with a warning: its
 * alarm still wakes it, and drivers under-report). */

#include <inttypes.h>

#include "hosts-call.h"
#include "json-util.h"
#include "log.h"
#include "node-event.h"
#include "node-record.h"
#include "slurm-verbs.h"
#include "timespan.h"
#include "wake-details.h"

typedef struct Node {
        const char *name;
        uint64_t requested_usec;  /* when Slurm asked (we started) */
        WakeDetails wake;
        uint64_t sleep_usec;  /* the safety alarm's distance; 0: not to be suspended */
        bool done;            /* failed already, or scheduled */
        bool failed;
} Node;

static const HostReply *find_reply(const HostReplies *r, const char *name) {
        for (size_t i = 0; i < r->n; i++)
                if (streq(r->replies[i].node, name))
                        return &r->replies[i];
        return NULL;
}

static json_object *get(json_object *o, const char *key) {
        json_object *v;

        return o && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

static void node_failed(Context *c, Node *n, const char *status, const char *error) {
        _cleanup_(json_object_putp) json_object *s = json_object_new_object();
        const char *told;
        int r;

        n->done = n->failed = true;
        told = context_set_down(n->name, error);
        if (!s || json_add(s, "result", json_object_new_string("failed")) < 0 ||
            json_add(s, "usec", json_object_new_uint64(clock_now_usec(CLOCK_REALTIME))) < 0 ||
            json_add(s, "requested_usec", json_object_new_uint64(n->requested_usec)) < 0 ||
            json_add(s, "status", json_object_new_string(status)) < 0 ||
            json_add(s, "error", json_object_new_string(error)) < 0 ||
            json_add(s, "slurm", json_object_new_string(told ? told : "")) < 0)
                (void) log_oom();
        else if ((r = node_record_update(c->state_dir, n->name, "suspend", TAKE_PTR(s))) < 0)
                log_warning_errno(r, "Failed to record the suspend of %s in %s: %s%s", n->name, c->state_dir,
                                  STRERROR(r), node_record_hint(r));
        node_event_log(HOSTPM_SLURM_MESSAGE_SUSPEND_FAILED,
                       &(NodeEvent) { .node = n->name, .action = "suspend", .result = status, .error = error,
                                      .slurm = told },
                       "Node %s not suspended: %s%s", n->name, error,
                       told ? "; Slurm was told the node is DOWN" : "");
}

static void node_failed_reply(Context *c, Node *n, const HostReply *reply, const char *what,
                              const char *failure) {
        _cleanup_free_ char *summary = reply ? host_reply_summary(reply) : NULL, *error = NULL;

        if (asprintf(&error, "%s: %s", what,
                     reply ? (isempty(summary) ? reply->status : summary)
                           : (failure ? failure : "hostpm-suspend printed no result for it")) < 0)
                error = NULL;
        node_failed(c, n, reply ? reply->status : "failed", error ? error : what);
}

/* The capabilities of one node: how to wake it, and how long it may sleep. */
static void take_capabilities(Context *c, Node *n, const HostReply *reply, const char *failure) {
        json_object *doc, *max, *wake;
        const char *why = NULL;
        uint64_t node_max;
        int r;

        if (!reply || reply->exit_status != 0) {
                node_failed_reply(c, n, reply, "cannot read its capabilities", failure);
                return;
        }
        doc = host_reply_document(reply);
        if (wake_details_find(doc, n->name, &n->wake, &why) < 0) {
                _cleanup_free_ char *error = NULL;

                if (asprintf(&error, "no MAC address known to wake it by Wake-on-LAN: %s", why) < 0)
                        error = NULL;
                node_failed(c, n, "no-wake", error ? error : "no MAC address known to wake it");
                return;
        }
        wake = wake_details_to_json(&n->wake);
        if (!wake || json_add(wake, "usec", json_object_new_uint64(clock_now_usec(CLOCK_REALTIME))) < 0) {
                json_object_put(wake);
                node_failed(c, n, "failed", "out of memory");
                return;
        }
        r = node_record_update(c->state_dir, n->name, "wake", wake);
        if (r < 0) {
                _cleanup_free_ char *error = NULL;

                if (asprintf(&error, "cannot record how to wake it in %s: %s%s", c->state_dir, STRERROR(r),
                             node_record_hint(r)) < 0)
                        error = NULL;
                node_failed(c, n, "no-record", error ? error : "cannot record how to wake it");
                return;
        }

        n->sleep_usec = c->config.maximum_sleep_usec;
        max = get(get(doc, "wake_alarm"), "max_seconds");
        node_max = max ? json_object_get_uint64(max) * USEC_PER_SEC : 0;
        if (node_max > 0 && node_max < n->sleep_usec) {
                char a[DURATION_MAX_STRING], b[DURATION_MAX_STRING];

                log_notice("Node %s accepts sleeps of at most %s; its safety alarm is set at that instead of %s.",
                           n->name, format_duration(a, sizeof a, node_max),
                           format_duration(b, sizeof b, n->sleep_usec));
                n->sleep_usec = node_max;
        }
}

static void take_schedule(Context *c, Node *n, const HostReply *reply, const char *failure) {
        _cleanup_(json_object_putp) json_object *s = NULL;
        json_object *doc, *id, *suspend, *wake;
        char when[WALL_TIME_MAX_STRING];
        int r;

        if (!reply || reply->exit_status != 0) {
                node_failed_reply(c, n, reply, "hostpm refused the suspend", failure);
                return;
        }
        doc = host_reply_document(reply);
        id = get(doc, "id");
        suspend = get(doc, "suspend_usec");
        wake = get(doc, "wake_usec");
        if (!id || !suspend || !wake) {
                node_failed(c, n, "failed", "hostpm-suspend's answer lacks the request's id or times");
                return;
        }

        n->done = true;
        s = json_object_new_object();
        if (!s || json_add(s, "result", json_object_new_string("scheduled")) < 0 ||
            json_add(s, "usec", json_object_new_uint64(clock_now_usec(CLOCK_REALTIME))) < 0 ||
            json_add(s, "requested_usec", json_object_new_uint64(n->requested_usec)) < 0 ||
            json_add(s, "id", json_object_get(id)) < 0 ||
            json_add(s, "target", json_object_new_string(sleep_target_to_string(c->config.target))) < 0 ||
            json_add(s, "suspend_usec", json_object_get(suspend)) < 0 ||
            json_add(s, "alarm_usec", json_object_get(wake)) < 0)
                (void) log_oom();
        else if ((r = node_record_update(c->state_dir, n->name, "suspend", TAKE_PTR(s))) < 0)
                log_warning_errno(r, "Failed to record the suspend of %s in %s: %s%s", n->name, c->state_dir,
                                  STRERROR(r), node_record_hint(r));
        node_event_log(HOSTPM_SLURM_MESSAGE_SUSPENDED,
                       &(NodeEvent) { .node = n->name, .action = "suspend", .result = "scheduled",
                                      .request_id = json_object_get_string(id),
                                      .alarm_usec = json_object_get_uint64(wake), .mac = n->wake.mac },
                       "Node %s suspends to %s (hostpm request %s); woken by a magic packet to %s, or by its "
                       "RTC alarm at %s.%s%s%s", n->name, sleep_target_to_string(c->config.target),
                       json_object_get_string(id), n->wake.mac,
                       format_wall_time(when, sizeof when, json_object_get_uint64(wake)) ? when : "?",
                       wake_details_magic_supported(&n->wake) ? "" : " Its interface ",
                       wake_details_magic_supported(&n->wake) ? "" : n->wake.interface,
                       wake_details_magic_supported(&n->wake) ? "" :
                               " reports no magic-packet wake: its RTC alarm may be what wakes it.");
}

/* One hostpm-suspend call for every node still to be suspended whose
 * safety alarm is sleep_usec away. */
static int schedule_group(Context *c, Node *nodes, size_t n, uint64_t sleep_usec) {
        _cleanup_(host_replies_done) HostReplies replies = {0};
        _cleanup_free_ char **names = calloc(n + 1, sizeof *names);
        _cleanup_free_ char *target = NULL, *delay = NULL, *duration = NULL;
        char *args[4] = {0};
        size_t m = 0, a = 0;
        int r;

        if (!names)
                return log_oom();
        for (size_t i = 0; i < n; i++)
                if (!nodes[i].done && nodes[i].sleep_usec == sleep_usec)
                        names[m++] = (char *) nodes[i].name;
        if (m == 0)
                return 0;
        if (asprintf(&target, "--target=%s", sleep_target_to_string(c->config.target)) < 0 ||
            asprintf(&duration, "%" PRIu64 "s", sleep_usec / USEC_PER_SEC) < 0 ||
            (c->config.delay_usec > 0 &&
             asprintf(&delay, "--delay=%" PRIu64 "s", c->config.delay_usec / USEC_PER_SEC) < 0))
                return log_oom();
        args[a++] = target;
        if (delay)
                args[a++] = delay;
        args[a++] = duration;

        r = hosts_call(c->hostpm_suspend, c->config.user, names, m, c->config.parallel, args, &replies);
        if (r < 0)
                return log_error_errno(r, "Failed to run %s: %s", c->hostpm_suspend, STRERROR(r));
        for (size_t i = 0; i < n; i++)
                if (!nodes[i].done && nodes[i].sleep_usec == sleep_usec)
                        take_schedule(c, &nodes[i], find_reply(&replies, nodes[i].name), replies.failure);
        return 0;
}

int verb_suspend(Context *c, const char *hostlist) {
        _cleanup_(host_replies_done) HostReplies caps = {0};
        _cleanup_free_ Node *nodes = NULL;
        char **names = NULL;
        uint64_t requested;
        size_t n = 0;
        bool failed = false;
        int r;

        r = context_expand(hostlist, &names, &n);
        if (r < 0)
                return EXIT_USAGE;
        nodes = calloc(n, sizeof *nodes);
        if (!nodes) {
                hostlist_free(names);
                return log_oom();
        }
        requested = clock_now_usec(CLOCK_REALTIME);  /* one call: one time for all its nodes */
        for (size_t i = 0; i < n; i++)
                nodes[i] = (Node) { .name = names[i], .requested_usec = requested };

        log_info("Suspending %zu node%s through hostpm: %s", n, n == 1 ? "" : "s", hostlist);
        r = hosts_call(c->hostpm_suspend, c->config.user, names, n, c->config.parallel,
                       (char *[]) { (char *) "--capabilities", NULL }, &caps);
        if (r < 0) {
                log_error_errno(r, "Failed to run %s: %s", c->hostpm_suspend, STRERROR(r));
                goto finish;
        }
        for (size_t i = 0; i < n; i++)
                take_capabilities(c, &nodes[i], find_reply(&caps, nodes[i].name), caps.failure);

        /* one call per safety alarm distance: all nodes alike, usually */
        for (size_t i = 0; i < n; i++)
                if (!nodes[i].done)
                        (void) schedule_group(c, nodes, n, nodes[i].sleep_usec);

finish:
        for (size_t i = 0; i < n; i++) {
                if (!nodes[i].done)
                        node_failed(c, &nodes[i], "failed", "hostpm-suspend could not be run");
                failed = failed || nodes[i].failed;
                wake_details_done(&nodes[i].wake);
        }
        hostlist_free(names);
        return failed ? EXIT_NODES_FAILED : 0;
}
