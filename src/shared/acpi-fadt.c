/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <stdio.h>
#include <string.h>

#include "acpi-fadt.h"
#include "fileio.h"
#include "macro.h"

/* The FADT of ACPI 6.5 is 276 bytes; more than a page is not a FADT. */
#define FADT_MAX_SIZE 4096

int acpi_fadt_read(const char *sysfs_root, AcpiFadt *ret) {
        _cleanup_free_ char *path = NULL, *table = NULL;
        const unsigned char *b;
        size_t size;
        int r;

        if (asprintf(&path, "%s/firmware/acpi/tables/FACP", sysfs_root) < 0)
                return -ENOMEM;
        r = read_file_bounded(path, FADT_MAX_SIZE, &table, &size);
        if (r < 0)
                return r;
        if (size < FADT_MIN_SIZE || memcmp(table, "FACP", 4) != 0)
                return -EBADMSG;

        b = (const unsigned char *) table;
        *ret = (AcpiFadt) {
                .flags = (uint32_t) b[FADT_FLAGS_OFFSET] |
                         (uint32_t) b[FADT_FLAGS_OFFSET + 1] << 8 |
                         (uint32_t) b[FADT_FLAGS_OFFSET + 2] << 16 |
                         (uint32_t) b[FADT_FLAGS_OFFSET + 3] << 24,
                .day_alarm = b[FADT_DAY_ALARM_OFFSET],
                .month_alarm = b[FADT_MONTH_ALARM_OFFSET],
                .century = b[FADT_CENTURY_OFFSET],
        };
        return 0;
}
