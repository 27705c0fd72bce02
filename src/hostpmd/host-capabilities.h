/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* hostpmd's view of the host's capabilities: one logind query at a time,
 * shared by every caller that asks while it is in flight, completed with
 * the RTC's state and the configured limit. */

#include "capabilities.h"

typedef struct Manager Manager;
typedef struct CapabilitiesWaiter CapabilitiesWaiter;

typedef void (*capabilities_ready_t)(Manager *m, const Capabilities *c, void *userdata);

/* Calls ready, from the event loop, once the next answer is in; *ret lets
 * the caller withdraw. destroy (may be NULL) releases userdata if the
 * waiter is dropped unanswered (hostpmd exiting). */
int host_capabilities_wait(Manager *m, capabilities_ready_t ready, void *userdata, void (*destroy)(void *),
                           CapabilitiesWaiter **ret);
void host_capabilities_withdraw(Manager *m, CapabilitiesWaiter *w);
void host_capabilities_cancel_all(Manager *m);
bool host_capabilities_busy(Manager *m);

/* D-Bus: GetCapabilities() -> s */
int method_get_capabilities(sd_bus_message *message, void *userdata, sd_bus_error *error);
