/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The audit trail: one journal entry per state change of a suspend request,
 * with a fixed MESSAGE_ID per kind so that
 *     journalctl MESSAGE_ID=<id>
 * finds them, and HOSTPM_* fields for the request. Each entry is also
 * printed as a plain line through log.h. A journal that cannot be reached
 * (tests, containers) is not an error. hostpmd sends scheduled, refused,
 * denied and cancelled; hostpm-sleep sends started, resumed, failed (and
 * refused and cancelled for what it decides itself). */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* Generated once with `systemd-id128 new`; never change them. */
#define HOSTPM_MESSAGE_SCHEDULED "415f63ea417c490d98fdfae2c351b52f"
#define HOSTPM_MESSAGE_REFUSED   "cbb6ef8269bd4efeb6ecd6e37c6a711c"
#define HOSTPM_MESSAGE_DENIED    "2bdf18cc37454698b8974f3c4621589b"
#define HOSTPM_MESSAGE_CANCELLED "fd9223c704584aa3b6d66083dd9a3ab0"
#define HOSTPM_MESSAGE_STARTED   "a06fb9b437c444e98a88ae1c0b6d3bb1"
#define HOSTPM_MESSAGE_RESUMED   "0487318ec72c4f6b8fc1d3d4a5952d0b"
#define HOSTPM_MESSAGE_FAILED    "ef4cd7c73e284ee78656da2c114fdfd9"

/* Who asked for what. NULL strings are sent as empty fields; an unknown
 * requester is (uid_t) -1 / 0. */
typedef struct EventRequest {
        const char *id;
        const char *target;
        uid_t requester_uid;
        pid_t requester_pid;
        uint64_t asked_usec;
} EventRequest;

void journal_event_scheduled(const EventRequest *req);
void journal_event_refused(const EventRequest *req, const char *why);
void journal_event_denied(const EventRequest *req, const char *why);
void journal_event_cancelled(const EventRequest *req, const char *why);
void journal_event_started(const EventRequest *req, uint64_t alarm);
void journal_event_resumed(const EventRequest *req, uint64_t slept_usec, uint64_t alarm, bool woken_by_alarm);
void journal_event_failed(const EventRequest *req, const char *error);
