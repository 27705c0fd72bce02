/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Where a node's magic packet must go: the MAC of its interface, learnt
 * before it sleeps. The node's capabilities document says it where it
 * lists its interfaces (the MAC of one that supports magic-packet wake,
 * else of the one whose address the controller reached); otherwise the
 * controller's own neighbour table does, since the controller has just
 * talked to the node over SSH: that is the MAC on the controller's link,
 * the very one a broadcast magic packet reaches. */

#include <json-c/json.h>

#define MAC_STRING_MAX sizeof("xx:xx:xx:xx:xx:xx")

typedef struct WakeDetails {
        char mac[MAC_STRING_MAX];   /* lower case, colons */
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

/* The record's "wake" section. */
json_object *wake_details_to_json(const WakeDetails *w);

/* "aa:bb:cc:dd:ee:ff" (any case, ':' or '-') to bytes. */
int mac_from_string(const char *s, unsigned char ret[6]);
