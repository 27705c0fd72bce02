/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* WakeOnLanInterfaces=: magic-packet wake armed before the suspend. Never
 * fatal: a host that cannot be woken by packet still wakes by its RTC
 * alarm, which is what hostpm guarantees; each failure is logged with why. */

/* list: "eno1,eno2", as --wake-on-lan= gives it; NULL does nothing.
 * Returns how many interfaces are armed (now or already). */
unsigned sleep_arm_wake_on_lan(const char *list);
