/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* hostpmd's view of the network interfaces: asked of hostpm-netinfo over
 * its socket (systemd starts one per connection, with CAP_NET_ADMIN that
 * hostpmd does not have), without blocking, and kept for a few seconds so
 * that a caller looping on GetCapabilities() costs one process start per
 * NET_INFO_CACHE_USEC at most. */

#include <stdbool.h>
#include <systemd/sd-event.h>

#include "net-interfaces.h"

#define NET_INFO_SOCKET_PATH  "/run/hostpm/netinfo"
#define NET_INFO_CACHE_USEC   (5 * USEC_PER_SEC)
#define NET_INFO_TIMEOUT_USEC (5 * USEC_PER_SEC)

typedef struct NetInfo NetInfo;

int net_info_new(sd_event *event, NetInfo **ret);
NetInfo *net_info_free(NetInfo *n);

/* Starts asking unless the last answer is fresh or a question is out.
 * 1: asked; done(userdata) is called once the answer (or the failure) is
 * in. 0: nothing to wait for. */
int net_info_refresh(NetInfo *n, void (*done)(void *userdata), void *userdata);
bool net_info_busy(const NetInfo *n);

/* The last answer: asked=false while none came (or hostpm-netinfo is not
 * installed), error set when asking failed. */
const NetInterfaces *net_info_get(const NetInfo *n);
