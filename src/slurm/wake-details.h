/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Where a node's magic packet must go: the MAC of its interface, learnt
 * before it sleeps. The node's capabilities document lists its interfaces
 * with their MAC and Wake-on-LAN modes (hostpm-netinfo); the one to use is
 * the one the controller reached, which the controller's own neighbour
 * table names, since it has just talked to the node over SSH: that is the
 * interface on the controller's link, the very one a broadcast magic packet
 * reaches. Failing that, the interface that can wake on a magic packet, or
 * the only one; without a list (an older hostpm on the node), the
 * neighbour table's MAC alone. */

#include <json-c/json.h>
#include <stdbool.h>

#include "wol.h"

typedef struct WakeDetails {
        char mac[ETHER_ADDR_STRING_MAX];  /* lower case, colons */
        const char *source;         /* "capabilities" or "neighbour" */
        char *interface;            /* the node's, if known */
        char *wol_supported;        /* the interface's WoL modes, if known ("pumbg") */
        char *wol_enabled;
} WakeDetails;

void wake_details_done(WakeDetails *w);

/* From the capabilities document (JSON, as hostpm-suspend --capabilities
 * --json prints it) or the neighbour table; -ENOENT with *ret_why set
 * (static text) if neither knows. */
int wake_details_find(json_object *capabilities, const char *node, WakeDetails *ret, const char **ret_why);

/* Whether the interface can wake on a magic packet, as far as known. */
bool wake_details_magic_supported(const WakeDetails *w);

/* The record's "wake" section. */
json_object *wake_details_to_json(const WakeDetails *w);
