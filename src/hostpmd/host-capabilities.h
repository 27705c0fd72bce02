/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The host's capabilities, gathered on demand: logind's answers
 * (logind-capabilities.c) and the network interfaces (net-info.c) asked at
 * once, completed with what the host says right away (the RTC) and the
 * configured limit. Everyone who asks while a round is out shares its
 * answer. Knows the bus and its waiters' callbacks, nothing else. */

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "capabilities.h"
#include "config.h"

typedef struct HostCapabilities HostCapabilities;
typedef struct CapabilitiesWaiter CapabilitiesWaiter;

/* c is valid during the call only. */
typedef void (*capabilities_ready_t)(const Capabilities *c, void *userdata);

/* config and sysfs_root (where class/rtc/ is) must outlive the provider. */
int host_capabilities_new(sd_bus *bus, sd_event *event, const Config *config, const char *sysfs_root,
                          HostCapabilities **ret);
/* Drops the waiters unanswered (destroy releases their userdata). */
HostCapabilities *host_capabilities_free(HostCapabilities *h);

/* Calls ready, from the event loop, once the next answer is in; *ret (may
 * be NULL) lets the caller withdraw. destroy (may be NULL) releases
 * userdata if the waiter is dropped unanswered. */
int host_capabilities_wait(HostCapabilities *h, capabilities_ready_t ready, void *userdata,
                           void (*destroy)(void *userdata), CapabilitiesWaiter **ret);
void host_capabilities_withdraw(HostCapabilities *h, CapabilitiesWaiter *w);

/* Someone waits, or a round is out. */
bool host_capabilities_busy(const HostCapabilities *h);

DEFINE_TRIVIAL_CLEANUP_FUNC(HostCapabilities *, host_capabilities_free)
