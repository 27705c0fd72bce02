/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The audit trail: one journal entry per state change of a suspend request,
 * with a fixed MESSAGE_ID per kind so that
 *     journalctl MESSAGE_ID=<id>
 * finds them, and HOSTPM_* fields for the request. Each entry is also
 * printed as a plain line through log.h. A journal that cannot be reached
 * (tests, containers) is not an error. hostpmd sends scheduled, refused,
 * denied and cancelled; hostpm-sleep sends started, resumed, failed (and
 * refused and cancelled for what it decides itself).
 *
 * What each kind sends (its MESSAGE_ID, HOSTPM_RESULT, priority, message and
 * extra fields) is one table in journal-event.c; hostpmd(8) and the tests
 * read it from there. */

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

typedef enum JournalEventKind {
        JOURNAL_EVENT_SCHEDULED,
        JOURNAL_EVENT_REFUSED,
        JOURNAL_EVENT_DENIED,
        JOURNAL_EVENT_CANCELLED,
        JOURNAL_EVENT_STARTED,
        JOURNAL_EVENT_RESUMED,
        JOURNAL_EVENT_FAILED,
        JOURNAL_EVENT_LEG,           /* one leg of a sleep in legs woke; the next is armed */
        _JOURNAL_EVENT_MAX,
        _JOURNAL_EVENT_INVALID = -EINVAL,
} JournalEventKind;

/* Who asked for what. NULL strings are sent as empty fields; an unknown
 * requester is (uid_t) -1 / 0. */
typedef struct EventRequest {
        const char *id;
        const char *target;
        uid_t requester_uid;
        pid_t requester_pid;
        uint64_t asked_usec;
} EventRequest;

/* What happened, beyond the request: each kind sends only the fields its
 * row names (HOSTPM_ERROR from error, HOSTPM_ALARM, HOSTPM_SLEPT_USEC,
 * HOSTPM_WOKEN_BY_ALARM, HOSTPM_LEG, HOSTPM_LEG_TARGET,
 * HOSTPM_NEXT_LEG_SECONDS) and ignores the rest. NULL: none. */
typedef struct EventDetails {
        const char *error;        /* why it was refused, denied, cancelled, or failed */
        uint64_t alarm;           /* the wake alarm, in seconds of the RTC's clock */
        uint64_t slept_usec;
        bool woken_by_alarm;
        unsigned leg;             /* the leg that woke, from 1 */
        const char *leg_target;   /* what it slept: mem or disk */
        uint64_t next_seconds;    /* the next leg's length */
} EventDetails;

/* Sends the entry (and prints its line); never fails the caller: a
 * journal out of reach or out of memory only loses the entry. */
void journal_event(JournalEventKind kind, const EventRequest *req, const EventDetails *details);

/* The entry as journal_event() sends it: "FIELD=value" strings, in order,
 * NULL-terminated, in *ret (free with journal_event_fields_free()).
 * -ENOMEM, or -EINVAL for a kind out of range. */
int journal_event_fields(JournalEventKind kind, const EventRequest *req, const EventDetails *details, char ***ret);
char **journal_event_fields_free(char **fields);

/* The kind's MESSAGE_ID (32 lowercase hex digits), or NULL out of range. */
const char *journal_event_message_id(JournalEventKind kind);
