/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdbool.h>

#include "bus-errors.h"

const sd_bus_error_map hostpm_error_map[] = {
        SD_BUS_ERROR_MAP(HOSTPM_ERROR_BUSY,                  EBUSY),
        SD_BUS_ERROR_MAP(HOSTPM_ERROR_UNSUPPORTED_TARGET,    EOPNOTSUPP),
        SD_BUS_ERROR_MAP(HOSTPM_ERROR_INVALID_TARGET,        EINVAL),
        SD_BUS_ERROR_MAP(HOSTPM_ERROR_DURATION_OUT_OF_RANGE, ERANGE),
        SD_BUS_ERROR_MAP(HOSTPM_ERROR_WAKE_TIME_IN_PAST,     ETIME),
        SD_BUS_ERROR_MAP(HOSTPM_ERROR_INVALID_FLAGS,         EINVAL),
        SD_BUS_ERROR_MAP(HOSTPM_ERROR_TOO_LATE,              ESTALE),
        SD_BUS_ERROR_MAP(HOSTPM_ERROR_NOTHING_PENDING,       ENOENT),
        SD_BUS_ERROR_MAP(HOSTPM_ERROR_NO_WAKE_ALARM,         ENODEV),
        SD_BUS_ERROR_MAP(HOSTPM_ERROR_NOT_AUTHORIZED,        EACCES),
        SD_BUS_ERROR_MAP(HOSTPM_ERROR_CAPABILITIES_UNKNOWN,  EHOSTUNREACH),
        SD_BUS_ERROR_MAP(HOSTPM_ERROR_TOO_MANY_REQUESTS,     ENOBUFS),
        SD_BUS_ERROR_MAP(HOSTPM_ERROR_NO_SUCH_REQUEST,       ESRCH),
        SD_BUS_ERROR_MAP(HOSTPM_ERROR_NO_NEXT_TIMER,         ENXIO),
        SD_BUS_ERROR_MAP(HOSTPM_ERROR_LEG_NOT_ARMABLE,       EDOM),
        SD_BUS_ERROR_MAP_END
};

int bus_errors_register(void) {
        static bool registered = false;
        int r;

        if (registered)
                return 0;
        r = sd_bus_error_add_map(hostpm_error_map);
        if (r < 0)
                return r;
        registered = true;
        return 0;
}
