/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* hostpm-suspend --wake: the magic packet, as a UDP broadcast, to hosts
 * named by MAC or by a name /etc/ethers (or another NSS "ethers" source)
 * maps to a MAC. No daemon is involved: anyone may send it. */

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#include "verbs.h"

#define WAKE_BROADCAST_DEFAULT "255.255.255.255"

typedef struct WakeArgs {
        const char *interface;       /* send out of this one (SO_BINDTODEVICE); NULL: by the routing table */
        struct in_addr broadcast;
        const char *broadcast_text;
        uint16_t port;
} WakeArgs;

/* Parses --broadcast= and --port= values; -EINVAL if not valid. */
int wake_parse_broadcast(const char *s, WakeArgs *a);
int wake_parse_port(const char *s, uint16_t *ret);

/* Each argument: a MAC, or a host list of names to look up. Every target
 * is tried; the exit status is EXIT_OK only if every packet went out. */
int verb_wake(char *const *targets, size_t n, const WakeArgs *a, OutputFormat output);
