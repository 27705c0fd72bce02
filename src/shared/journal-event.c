/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <inttypes.h>
#include <stdio.h>
#include <sys/uio.h>
#include <systemd/sd-journal.h>

#include "journal-event.h"
#include "log.h"
#include "macro.h"

/* The extra fields a kind sends, after HOSTPM_RESULT and in this order. */
typedef enum EventField {
        EVENT_FIELD_ERROR = 1 << 0,  /* HOSTPM_ERROR */
        EVENT_FIELD_SLEPT = 1 << 1,  /* HOSTPM_SLEPT_USEC */
        EVENT_FIELD_ALARM = 1 << 2,  /* HOSTPM_ALARM */
        EVENT_FIELD_WOKEN = 1 << 3,  /* HOSTPM_WOKEN_BY_ALARM */
        EVENT_FIELD_LEG = 1 << 4,  /* HOSTPM_LEG */
        EVENT_FIELD_LEG_TARGET = 1 << 5,  /* HOSTPM_LEG_TARGET */
        EVENT_FIELD_NEXT_LEG = 1 << 6,  /* HOSTPM_NEXT_LEG_SECONDS */
} EventField;

/* MESSAGE_ID, MESSAGE, PRIORITY, HOSTPM_RESULT, the extra fields, the request's */
#define EVENT_FIELDS_MAX (4 + 4 + 3 + 5)

typedef struct EventKindInfo {
        const char *result;      /* HOSTPM_RESULT */
        const char *message_id;
        int priority;
        EventField fields;
        /* MESSAGE, with {request} "request ID (mem, 300 s, uid 1000, pid 42)",
         * {error}, {alarm}, {slept} (seconds, one decimal), {woken}, {leg},
         * {leg_target} and {next} */
        const char *message;
} EventKindInfo;

/* The MESSAGE_IDs were generated once with `systemd-id128 new`; never
 * change them: journalctl MESSAGE_ID=<id> is how admins find the entries.
 * hostpmd(8) lists each row (a doc test holds it to this table), and the
 * tests read the ids from here: keep one row per kind, one field per line. */
static const EventKindInfo event_kinds[_JOURNAL_EVENT_MAX] = {
        [JOURNAL_EVENT_SCHEDULED] = {
                .result = "scheduled",
                .message_id = "415f63ea417c490d98fdfae2c351b52f",
                .priority = LOG_INFO,
                .fields = 0,
                .message = "Scheduled suspend {request}.",
        },
        [JOURNAL_EVENT_REFUSED] = {
                .result = "refused",
                .message_id = "cbb6ef8269bd4efeb6ecd6e37c6a711c",
                .priority = LOG_NOTICE,
                .fields = EVENT_FIELD_ERROR,
                .message = "Refused suspend {request}: {error}",
        },
        [JOURNAL_EVENT_DENIED] = {
                .result = "denied",
                .message_id = "2bdf18cc37454698b8974f3c4621589b",
                .priority = LOG_WARNING,
                .fields = EVENT_FIELD_ERROR,
                .message = "Denied suspend {request}: {error}",
        },
        [JOURNAL_EVENT_CANCELLED] = {
                .result = "cancelled",
                .message_id = "fd9223c704584aa3b6d66083dd9a3ab0",
                .priority = LOG_INFO,
                .fields = EVENT_FIELD_ERROR,
                .message = "Cancelled suspend {request}: {error}",
        },
        [JOURNAL_EVENT_STARTED] = {
                .result = "suspending",
                .message_id = "a06fb9b437c444e98a88ae1c0b6d3bb1",
                .priority = LOG_NOTICE,
                .fields = EVENT_FIELD_ALARM,
                .message = "Suspending for {request}; wake alarm set at {alarm} (RTC time).",
        },
        [JOURNAL_EVENT_RESUMED] = {
                .result = "resumed",
                .message_id = "0487318ec72c4f6b8fc1d3d4a5952d0b",
                .priority = LOG_NOTICE,
                .fields = EVENT_FIELD_SLEPT | EVENT_FIELD_ALARM | EVENT_FIELD_WOKEN,
                .message = "Resumed from {request} after {slept} s asleep; {woken}.",
        },
        [JOURNAL_EVENT_FAILED] = {
                .result = "failed",
                .message_id = "ef4cd7c73e284ee78656da2c114fdfd9",
                .priority = LOG_ERR,
                .fields = EVENT_FIELD_ERROR,
                .message = "Suspend {request} failed: {error}",
        },
        [JOURNAL_EVENT_LEG] = {
                .result = "leg",
                .message_id = "3aaf627d566b4a7ba131697371f196f1",
                .priority = LOG_INFO,
                .fields = EVENT_FIELD_SLEPT | EVENT_FIELD_ALARM | EVENT_FIELD_WOKEN | EVENT_FIELD_LEG | EVENT_FIELD_LEG_TARGET | EVENT_FIELD_NEXT_LEG,
                .message = "Leg {leg} ({leg_target}) of {request} woke after {slept} s asleep; {woken}; next leg {next} s.",
        },
};

static const char *strempty(const char *s) {
        return s ? s : "";
}

const char *journal_event_message_id(JournalEventKind kind) {
        if (kind < 0 || kind >= _JOURNAL_EVENT_MAX)
                return NULL;
        return event_kinds[kind].message_id;
}

/* Writes one {placeholder} of a message template; -EINVAL for a name the
 * table should not use. */
static int put_placeholder(FILE *f, const char *name, size_t len, const EventRequest *req,
                           const EventDetails *d) {
#define IS(s) (len == strlen(s) && strncmp(name, s, len) == 0)
        if (IS("request"))
                fprintf(f, "request %s (%s, %" PRIu64 " s, uid %u, pid %i)",
                        isempty(req->id) ? "?" : req->id, isempty(req->target) ? "?" : req->target,
                        req->asked_usec / USEC_PER_SEC, (unsigned) req->requester_uid,
                        (int) req->requester_pid);
        else if (IS("error"))
                fputs(strempty(d->error), f);
        else if (IS("alarm"))
                fprintf(f, "%" PRIu64, d->alarm);
        else if (IS("slept"))
                fprintf(f, "%" PRIu64 ".%01" PRIu64, d->slept_usec / USEC_PER_SEC,
                        d->slept_usec % USEC_PER_SEC / (USEC_PER_SEC / 10));
        else if (IS("leg"))
                fprintf(f, "%u", d->leg);
        else if (IS("leg_target"))
                fputs(strempty(d->leg_target), f);
        else if (IS("next"))
                fprintf(f, "%" PRIu64, d->next_seconds);
        else if (IS("woken"))
                fputs(d->woken_by_alarm ? "the wake alarm had been reached" : "not woken by the wake alarm", f);
        else
                return -EINVAL;
        return 0;
#undef IS
}

static int format_message(const char *template, const EventRequest *req, const EventDetails *d, char **ret) {
        _cleanup_free_ char *s = NULL;
        size_t size = 0;
        FILE *f;
        int r = 0;

        f = open_memstream(&s, &size);
        if (!f)
                return -ENOMEM;
        for (const char *p = template; *p && r >= 0;) {
                const char *close = *p == '{' ? strchr(p, '}') : NULL;

                if (!close) {
                        fputc(*p++, f);
                        continue;
                }
                r = put_placeholder(f, p + 1, close - p - 1, req, d);
                p = close + 1;
        }
        if (fclose(f) != 0)
                return -ENOMEM;
        if (r < 0)
                return r;
        *ret = TAKE_PTR(s);
        return 0;
}

/* As sd_journal_send() has it, which the entries were first sent with: a
 * field ends at its last character that is not white space. */
static void strip_trailing_whitespace(char *s) {
        size_t n = strlen(s);

        while (n > 0 && strchr(" \t\n\r", s[n - 1]))
                s[--n] = '\0';
}

char **journal_event_fields_free(char **fields) {
        for (char **f = fields; f && *f; f++)
                free(*f);
        free(fields);
        return NULL;
}

int journal_event_fields(JournalEventKind kind, const EventRequest *req, const EventDetails *details, char ***ret) {
        static const EventDetails none = {0};
        const EventDetails *d = details ? details : &none;
        const EventKindInfo *k;
        _cleanup_free_ char *message = NULL;
        char **fields;
        size_t n = 0;
        int r;

        if (kind < 0 || kind >= _JOURNAL_EVENT_MAX)
                return -EINVAL;
        k = &event_kinds[kind];

        r = format_message(k->message, req, d, &message);
        if (r < 0)
                return r;

        fields = calloc(EVENT_FIELDS_MAX + 1, sizeof(char *));
        if (!fields)
                return -ENOMEM;
#define ADD(...) \
        do { \
                if (asprintf(&fields[n++], __VA_ARGS__) < 0) { \
                        fields[--n] = NULL; \
                        journal_event_fields_free(fields); \
                        return -ENOMEM; \
                } \
                strip_trailing_whitespace(fields[n - 1]); \
        } while (false)
        ADD("MESSAGE_ID=%s", k->message_id);
        ADD("MESSAGE=%s", message);
        ADD("PRIORITY=%i", k->priority);
        ADD("HOSTPM_RESULT=%s", k->result);
        if (k->fields & EVENT_FIELD_ERROR)
                ADD("HOSTPM_ERROR=%s", strempty(d->error));
        if (k->fields & EVENT_FIELD_SLEPT)
                ADD("HOSTPM_SLEPT_USEC=%" PRIu64, d->slept_usec);
        if (k->fields & EVENT_FIELD_ALARM)
                ADD("HOSTPM_ALARM=%" PRIu64, d->alarm);
        if (k->fields & EVENT_FIELD_WOKEN)
                ADD("HOSTPM_WOKEN_BY_ALARM=%i", (int) d->woken_by_alarm);
        if (k->fields & EVENT_FIELD_LEG)
                ADD("HOSTPM_LEG=%u", d->leg);
        if (k->fields & EVENT_FIELD_LEG_TARGET)
                ADD("HOSTPM_LEG_TARGET=%s", strempty(d->leg_target));
        if (k->fields & EVENT_FIELD_NEXT_LEG)
                ADD("HOSTPM_NEXT_LEG_SECONDS=%" PRIu64, d->next_seconds);
        ADD("HOSTPM_REQUEST_ID=%s", strempty(req->id));
        ADD("HOSTPM_TARGET=%s", strempty(req->target));
        ADD("HOSTPM_REQUESTER_UID=%u", (unsigned) req->requester_uid);
        ADD("HOSTPM_REQUESTER_PID=%i", (int) req->requester_pid);
        ADD("HOSTPM_ASKED_USEC=%" PRIu64, req->asked_usec);
#undef ADD
        *ret = fields;
        return 0;
}

void journal_event(JournalEventKind kind, const EventRequest *req, const EventDetails *details) {
        struct iovec iov[EVENT_FIELDS_MAX];
        char **fields;
        size_t n = 0;
        int r;

        r = journal_event_fields(kind, req, details, &fields);
        if (r < 0) {
                /* the event is only lost from the journal, never fatal */
                log_error_errno(r, "Failed to build journal entry of kind %i: %s", (int) kind, STRERROR(r));
                return;
        }

        /* The plain line, for logs outside the journal (a terminal, the
         * test bed); under systemd the structured entry alone says it, once. */
        if (!log_stderr_is_journal())
                log_full_errno(event_kinds[kind].priority, 0, "%s", fields[1] + strlen("MESSAGE=")); /* the 2nd */

        for (; n < ELEMENTSOF(iov) && fields[n]; n++)
                iov[n] = (struct iovec) { .iov_base = fields[n], .iov_len = strlen(fields[n]) };
        (void) sd_journal_sendv(iov, (int) n);
        journal_event_fields_free(fields);
}
