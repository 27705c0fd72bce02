/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The RTC wake alarm: clear it, set it and make sure it stuck, read it.
 * Paths are <root>/class/rtc/<device>/{since_epoch,wakealarm}; pass
 * rtc_sysfs_root() as root. Alarms are absolute, in the RTC's own time base
 * (since_epoch), so they mean the same on UTC and local-time RTCs and the
 * value read back can be compared exactly with the one written. */

#include <stdint.h>

/* Writes "0", which disables a pending alarm. -ENOENT if the device or its
 * wakealarm attribute is missing. */
int rtc_clear_wakealarm(const char *root, const char *device);

/* Clears any pending alarm (the kernel refuses to replace an enabled one),
 * writes since_epoch + seconds_ahead and reads it back. Returns -EIO if the
 * RTC does not hold exactly that value, -EINVAL if the kernel refuses it
 * (too far ahead for this RTC), -ERANGE if the sum overflows, -ENOENT if the
 * device, since_epoch or wakealarm is missing. Whenever it fails after
 * writing, it clears the alarm again, so failure leaves no alarm behind.
 * On success *ret_alarm is the alarm, in seconds of the RTC's clock. */
int rtc_set_wakealarm(const char *root, const char *device, uint64_t seconds_ahead, uint64_t *ret_alarm);

/* The pending alarm: returns 1 and sets *ret_alarm, or 0 (and *ret_alarm =
 * 0) when none is set (an empty attribute, or "0" on a test directory).
 * -EBADMSG if the attribute holds something that is not a number. */
int rtc_read_wakealarm(const char *root, const char *device, uint64_t *ret_alarm);

/* The RTC's clock, seconds since the epoch as the RTC counts them. */
int rtc_read_since_epoch(const char *root, const char *device, uint64_t *ret);

/* Returns just after the RTC's clock has moved on to its next second, or
 * after at most a little more than a second when it does not move (a
 * stopped or fake RTC) or cannot be read (rtc_set_wakealarm() will say
 * what is wrong). */
void rtc_wait_for_tick(const char *root, const char *device);
