/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* hostpm's named D-Bus errors and the errno each maps to, registered once
 * so sd_bus_error_get_errno() and the CLI agree on their meaning. */

#include <systemd/sd-bus.h>

#include "bus-names.h"

extern const sd_bus_error_map hostpm_error_map[];

/* Registers hostpm_error_map with sd-bus; idempotent. */
int bus_errors_register(void);
