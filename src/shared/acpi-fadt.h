/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The few facts of the ACPI FADT that rtc_cmos acts on, read from the table
 * itself (<sysfs>/firmware/acpi/tables/FACP, readable by root) in one go:
 * the table outlives the boot's log, where the driver says what it made of
 * them. The offsets are those of ACPI 1.0, which every later revision
 * keeps. */

#include <stdint.h>

#define FADT_DAY_ALARM_OFFSET   106  /* DAY_ALRM: CMOS index of the day-of-month alarm; 0: none */
#define FADT_MONTH_ALARM_OFFSET 107  /* MON_ALRM: CMOS index of the month alarm; 0: none */
#define FADT_CENTURY_OFFSET     108  /* CENTURY: CMOS index of the century; 0: none */
#define FADT_FLAGS_OFFSET       112  /* 32-bit flags, little-endian */
#define FADT_MIN_SIZE           (FADT_FLAGS_OFFSET + 4)

/* ACPI_FADT_S4_RTC_WAKE, flag 7 (RTC_S4) of the FADT: the RTC alarm can
 * wake the host from S4. QEMU's q35 sets it (flags 0x000084a5), and its
 * rtc_cmos logs "RTC can wake from S4". */
#define FADT_S4_RTC_WAKE        (1u << 7)

typedef struct AcpiFadt {
        uint32_t flags;
        uint8_t day_alarm;
        uint8_t month_alarm;
        uint8_t century;
} AcpiFadt;

/* 0 and *ret filled; -EBADMSG if the file is not a FADT or too short for
 * the fields above, -EFBIG if it is larger than a page; -ENOENT, -EACCES,
 * ...: it could not be read. */
int acpi_fadt_read(const char *sysfs_root, AcpiFadt *ret);
