/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* One hostpm-suspend call for many nodes: `hostpm-suspend -H [USER@]LIST
 * --parallel=N --json ARGS…`, which reaches each node's hostpmd over SSH
 * (sd-bus's transport, as a single -H does) and prints one JSON line per
 * node. Its stdin is /dev/null and its stdout and stderr are ours to read,
 * so nothing it starts holds on to Slurm's pipes. */

#include <json-c/json.h>
#include <stdint.h>

#define HOSTS_CALL_TIMEOUT_USEC (300 * USEC_PER_SEC)

typedef struct HostReply {
        char *node;           /* the name, without USER@ */
        int exit_status;      /* hostpm-suspend's, for this node */
        char *status;         /* "ok", "refused", "not-authorized", … */
        json_object *output;  /* the documents it printed for the node (an array), or NULL */
        char *messages;       /* its messages for the node, one per line, or NULL */
} HostReply;

typedef struct HostReplies {
        HostReply *replies;
        size_t n;
        char *failure;        /* the call as a whole failed: why (replies may be empty) */
} HostReplies;

void host_replies_done(HostReplies *r);

/* Runs program (hostpm-suspend) for the hosts (names) with args. Returns
 * < 0 only when it could not be run at all; a call that ran but printed no
 * line for some node sets r->failure and leaves that node out. */
int hosts_call(const char *program, const char *user, char *const *hosts, size_t n_hosts,
               unsigned parallel, char *const *args, HostReplies *ret);

/* The reply's first JSON document, or NULL */
json_object *host_reply_document(const HostReply *r);

/* The reply's messages on one line ("; " between them), for records. */
char *host_reply_summary(const HostReply *r);
