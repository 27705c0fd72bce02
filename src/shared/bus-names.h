/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Every name hostpm puts on or looks for on the bus, in one place. */

#define HOSTPM_BUS_NAME        "org.hostpm1"
#define HOSTPM_OBJECT_PATH     "/org/hostpm1"
#define HOSTPM_MANAGER_IFACE   "org.hostpm1.Manager"

#define HOSTPM_ERROR_PREFIX                "org.hostpm1.Error."
#define HOSTPM_ERROR_BUSY                  HOSTPM_ERROR_PREFIX "Busy"
#define HOSTPM_ERROR_UNSUPPORTED_TARGET    HOSTPM_ERROR_PREFIX "UnsupportedTarget"
#define HOSTPM_ERROR_INVALID_TARGET        HOSTPM_ERROR_PREFIX "InvalidTarget"
#define HOSTPM_ERROR_DURATION_OUT_OF_RANGE HOSTPM_ERROR_PREFIX "DurationOutOfRange"
#define HOSTPM_ERROR_WAKE_TIME_IN_PAST     HOSTPM_ERROR_PREFIX "WakeTimeInPast"
#define HOSTPM_ERROR_INVALID_FLAGS         HOSTPM_ERROR_PREFIX "InvalidFlags"
#define HOSTPM_ERROR_TOO_LATE              HOSTPM_ERROR_PREFIX "TooLate"
#define HOSTPM_ERROR_NOTHING_PENDING       HOSTPM_ERROR_PREFIX "NothingPending"
#define HOSTPM_ERROR_NO_WAKE_ALARM         HOSTPM_ERROR_PREFIX "NoWakeAlarm"
#define HOSTPM_ERROR_NOT_AUTHORIZED        HOSTPM_ERROR_PREFIX "NotAuthorized"
#define HOSTPM_ERROR_CAPABILITIES_UNKNOWN  HOSTPM_ERROR_PREFIX "CapabilitiesUnknown"
#define HOSTPM_ERROR_TOO_MANY_REQUESTS     HOSTPM_ERROR_PREFIX "TooManyRequests"
#define HOSTPM_ERROR_NO_SUCH_REQUEST       HOSTPM_ERROR_PREFIX "NoSuchRequest"
#define HOSTPM_ERROR_NO_NEXT_TIMER         HOSTPM_ERROR_PREFIX "NoNextTimer"
#define HOSTPM_ERROR_LEG_NOT_ARMABLE       HOSTPM_ERROR_PREFIX "LegNotArmable"

#define HOSTPM_ACTION_SUSPEND            "org.hostpm1.suspend"
#define HOSTPM_ACTION_CANCEL             "org.hostpm1.cancel"
#define HOSTPM_ACTION_IGNORE_INHIBITORS  "org.hostpm1.ignore-inhibitors"

#define LOGIND_BUS_NAME      "org.freedesktop.login1"
#define LOGIND_OBJECT_PATH   "/org/freedesktop/login1"
#define LOGIND_MANAGER_IFACE "org.freedesktop.login1.Manager"

#define SYSTEMD_BUS_NAME      "org.freedesktop.systemd1"
#define SYSTEMD_OBJECT_PATH   "/org/freedesktop/systemd1"
#define SYSTEMD_MANAGER_IFACE "org.freedesktop.systemd1.Manager"

#define POLKIT_BUS_NAME       "org.freedesktop.PolicyKit1"
#define POLKIT_OBJECT_PATH    "/org/freedesktop/PolicyKit1/Authority"
#define POLKIT_AUTHORITY_IFACE "org.freedesktop.PolicyKit1.Authority"
