/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* One journal entry per node and step, with a MESSAGE_ID per kind and
 * HOSTPM_SLURM_* fields, so that
 *     journalctl HOSTPM_SLURM_NODE=node07
 * tells a node's story on the controller. Also printed through log.h. */

#include <stdint.h>

#include "macro.h"

/* Generated once with `systemd-id128 new`; never change them. */
#define HOSTPM_SLURM_MESSAGE_SUSPENDED      "5bc43fccd9074e909ad322ea99e1624d"
#define HOSTPM_SLURM_MESSAGE_SUSPEND_FAILED "dc3f35704d904cba87d1ba4588a91244"
#define HOSTPM_SLURM_MESSAGE_WOKEN          "4a4d1f1196a843cca2c2eabd43a40c45"
#define HOSTPM_SLURM_MESSAGE_WAKE_FAILED    "2e2ca3ff1e124cef823b62497ba2a7dc"
#define HOSTPM_SLURM_MESSAGE_RESUME_FAILED  "08ed286c1e9c4a3689a23abe825bf1ca"

typedef struct NodeEvent {
        const char *node;
        const char *action;      /* "suspend", "resume", "resume-fail" */
        const char *result;      /* "scheduled", "sent", "refused", "failed", … */
        const char *request_id;  /* the node's hostpm request */
        uint64_t alarm_usec;     /* the RTC safety alarm, CLOCK_REALTIME */
        const char *mac;
        const char *error;
        const char *slurm;       /* what Slurm was told, e.g. "DOWN", or NULL */
} NodeEvent;

void node_event_log(const char *message_id, const NodeEvent *e, const char *format, ...) _printf_(3, 4);
