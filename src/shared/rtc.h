/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The RTC wake device, under a sysfs root that only a test build may move
 * (test-seam.h). Paths are <root>/class/rtc/<device>/... */

#include <stdbool.h>
#include <stdint.h>

typedef enum RtcWakeup {
        RTC_WAKEUP_UNKNOWN,   /* no device/power/wakeup file */
        RTC_WAKEUP_ENABLED,
        RTC_WAKEUP_DISABLED,
} RtcWakeup;

typedef struct RtcInfo {
        bool present;            /* <root>/class/rtc/<device> exists */
        char *device;            /* "rtc0" */
        char *name;              /* driver, from .../name ("rtc_cmos"), NULL if unreadable */
        bool has_wakealarm;      /* .../wakealarm exists */
        RtcWakeup wakeup;
        uint64_t alarm;          /* pending alarm, seconds since the epoch; 0 = none */
        uint64_t max_seconds;    /* longest alarm hostpm will set ahead (configured limit) */
} RtcInfo;

const char *rtc_sysfs_root(void);

/* A name under <root>/class/rtc/ ("rtc0"), never a path: letters, digits,
 * "-" and "_", at most 32 characters. */
bool rtc_device_name_valid(const char *device);
const char *rtc_wakeup_to_string(RtcWakeup w);

/* Whether the RTC's name attribute names this driver: Linux 5.x and later
 * write "<driver> <device>" ("rtc_cmos 00:03"), older ones the driver
 * alone. */
bool rtc_name_is_driver(const char *name, const char *driver);

/* Fills *ret (which the caller frees with rtc_info_done()); a missing device
 * is not an error, it is reported as present = false. */
int rtc_read_info(const char *sysfs_root, const char *device, RtcInfo *ret);
void rtc_info_done(RtcInfo *info);
