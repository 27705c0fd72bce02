/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The history of finished requests on the bus: read-only and open to
 * everyone, like the rest of the status. */

#include <systemd/sd-bus.h>

/* D-Bus: GetHistory(t since_usec) -> a(tsssttsttus) entries, a(sst) counts,
 * t slept_usec, u unreadable */
int method_get_history(sd_bus_message *message, void *userdata, sd_bus_error *error);
