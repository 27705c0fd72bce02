/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <ctype.h>

#include "journal-event.h"
#include "macro.h"

/* The entries as they were when each kind had a function of its own (and
 * as hostpmd(8) describes them): every field, in order, after MESSAGE_ID,
 * which the table alone holds. */

static const EventRequest request = {
        .id = "0123456789abcdef0123456789abcdef",
        .target = "mem",
        .requester_uid = 1000,
        .requester_pid = 42,
        .asked_usec = 300 * USEC_PER_SEC,
};

#define REQUEST_FIELDS                                          \
        "HOSTPM_REQUEST_ID=0123456789abcdef0123456789abcdef\n"  \
        "HOSTPM_TARGET=mem\n"                                   \
        "HOSTPM_REQUESTER_UID=1000\n"                           \
        "HOSTPM_REQUESTER_PID=42\n"                             \
        "HOSTPM_ASKED_USEC=300000000"
#define WHAT "request 0123456789abcdef0123456789abcdef (mem, 300 s, uid 1000, pid 42)"

/* The fields after MESSAGE_ID, one a line; checks MESSAGE_ID on the way. */
static char *entry(JournalEventKind kind, const EventRequest *req, const EventDetails *details) {
        _cleanup_free_ char *expected_id = NULL;
        char **fields = NULL, *s = NULL;
        size_t size = 0;
        FILE *f;

        assert_int_equal(journal_event_fields(kind, req, details, &fields), 0);
        assert_true(asprintf(&expected_id, "MESSAGE_ID=%s", journal_event_message_id(kind)) > 0);
        assert_string_equal(fields[0], expected_id);

        assert_non_null(f = open_memstream(&s, &size));
        for (char **p = fields + 1; *p; p++)
                fprintf(f, "%s%s", p == fields + 1 ? "" : "\n", *p);
        assert_int_equal(fclose(f), 0);
        journal_event_fields_free(fields);
        return s;
}

#define assert_entry(kind, req, details, expected)                      \
        do {                                                            \
                _cleanup_free_ char *_s = entry(kind, req, details);    \
                assert_string_equal(_s, expected);                      \
        } while (false)

static void test_message_ids_are_ids_and_distinct(void **state) {
        for (JournalEventKind k = 0; k < _JOURNAL_EVENT_MAX; k++) {
                const char *id = journal_event_message_id(k);

                assert_non_null(id);
                assert_int_equal(strlen(id), 32);
                for (const char *c = id; *c; c++)
                        assert_true(isxdigit((unsigned char) *c) && !isupper((unsigned char) *c));
                for (JournalEventKind j = 0; j < k; j++)
                        assert_string_not_equal(journal_event_message_id(j), id);
        }
        assert_null(journal_event_message_id(_JOURNAL_EVENT_MAX));
        assert_null(journal_event_message_id(_JOURNAL_EVENT_INVALID));
}

static void test_hostpmd_entries(void **state) {
        assert_entry(JOURNAL_EVENT_SCHEDULED, &request, NULL,
                     "MESSAGE=Scheduled suspend " WHAT ".\n"
                     "PRIORITY=6\n"
                     "HOSTPM_RESULT=scheduled\n" REQUEST_FIELDS);
        assert_entry(JOURNAL_EVENT_REFUSED, &request, &(const EventDetails) { .error = "busy" },
                     "MESSAGE=Refused suspend " WHAT ": busy\n"
                     "PRIORITY=5\n"
                     "HOSTPM_RESULT=refused\n"
                     "HOSTPM_ERROR=busy\n" REQUEST_FIELDS);
        assert_entry(JOURNAL_EVENT_DENIED, &request, &(const EventDetails) { .error = "not authorized" },
                     "MESSAGE=Denied suspend " WHAT ": not authorized\n"
                     "PRIORITY=4\n"
                     "HOSTPM_RESULT=denied\n"
                     "HOSTPM_ERROR=not authorized\n" REQUEST_FIELDS);
        assert_entry(JOURNAL_EVENT_CANCELLED, &request, &(const EventDetails) { .error = "cancelled by request" },
                     "MESSAGE=Cancelled suspend " WHAT ": cancelled by request\n"
                     "PRIORITY=6\n"
                     "HOSTPM_RESULT=cancelled\n"
                     "HOSTPM_ERROR=cancelled by request\n" REQUEST_FIELDS);
}

static void test_helper_entries(void **state) {
        const EventDetails resumed = {
                .error = "not sent", .alarm = 1795317269, .slept_usec = 299567890, .woken_by_alarm = true,
        };

        assert_entry(JOURNAL_EVENT_STARTED, &request, &(const EventDetails) { .alarm = 1795317269 },
                     "MESSAGE=Suspending for " WHAT "; wake alarm set at 1795317269 (RTC time).\n"
                     "PRIORITY=5\n"
                     "HOSTPM_RESULT=suspending\n"
                     "HOSTPM_ALARM=1795317269\n" REQUEST_FIELDS);
        assert_entry(JOURNAL_EVENT_RESUMED, &request, &resumed,
                     "MESSAGE=Resumed from " WHAT " after 299.5 s asleep; the wake alarm had been reached.\n"
                     "PRIORITY=5\n"
                     "HOSTPM_RESULT=resumed\n"
                     "HOSTPM_SLEPT_USEC=299567890\n"
                     "HOSTPM_ALARM=1795317269\n"
                     "HOSTPM_WOKEN_BY_ALARM=1\n" REQUEST_FIELDS);
        assert_entry(JOURNAL_EVENT_RESUMED, &request, &(const EventDetails) { .slept_usec = 5 },
                     "MESSAGE=Resumed from " WHAT " after 0.0 s asleep; not woken by the wake alarm.\n"
                     "PRIORITY=5\n"
                     "HOSTPM_RESULT=resumed\n"
                     "HOSTPM_SLEPT_USEC=5\n"
                     "HOSTPM_ALARM=0\n"
                     "HOSTPM_WOKEN_BY_ALARM=0\n" REQUEST_FIELDS);
        assert_entry(JOURNAL_EVENT_FAILED, &request, &(const EventDetails) { .error = "the RTC refused" },
                     "MESSAGE=Suspend " WHAT " failed: the RTC refused\n"
                     "PRIORITY=3\n"
                     "HOSTPM_RESULT=failed\n"
                     "HOSTPM_ERROR=the RTC refused\n" REQUEST_FIELDS);
}

/* Only the fields of its row: a scheduled entry says no error, a started
 * one no time asleep, whatever the caller passed. */
static void test_only_the_kinds_fields(void **state) {
        const EventDetails all = { .error = "x", .alarm = 7, .slept_usec = 8, .woken_by_alarm = true };

        assert_entry(JOURNAL_EVENT_SCHEDULED, &request, &all,
                     "MESSAGE=Scheduled suspend " WHAT ".\n"
                     "PRIORITY=6\n"
                     "HOSTPM_RESULT=scheduled\n" REQUEST_FIELDS);
        assert_entry(JOURNAL_EVENT_STARTED, &request, &all,
                     "MESSAGE=Suspending for " WHAT "; wake alarm set at 7 (RTC time).\n"
                     "PRIORITY=5\n"
                     "HOSTPM_RESULT=suspending\n"
                     "HOSTPM_ALARM=7\n" REQUEST_FIELDS);
}

/* An unknown request and no error: empty fields, "?" in the message, and
 * no trailing white space (sd_journal_send() strips it, and the entries
 * were first sent with it). */
static void test_nothing_known(void **state) {
        const EventRequest unknown = { .requester_uid = (uid_t) -1 };

        assert_entry(JOURNAL_EVENT_FAILED, &unknown, NULL,
                     "MESSAGE=Suspend request ? (?, 0 s, uid 4294967295, pid 0) failed:\n"
                     "PRIORITY=3\n"
                     "HOSTPM_RESULT=failed\n"
                     "HOSTPM_ERROR=\n"
                     "HOSTPM_REQUEST_ID=\n"
                     "HOSTPM_TARGET=\n"
                     "HOSTPM_REQUESTER_UID=4294967295\n"
                     "HOSTPM_REQUESTER_PID=0\n"
                     "HOSTPM_ASKED_USEC=0");
        assert_entry(JOURNAL_EVENT_REFUSED, &request, &(const EventDetails) { .error = "blocked\n" },
                     "MESSAGE=Refused suspend " WHAT ": blocked\n"
                     "PRIORITY=5\n"
                     "HOSTPM_RESULT=refused\n"
                     "HOSTPM_ERROR=blocked\n" REQUEST_FIELDS);
}

static void test_bad_kind(void **state) {
        char **fields = NULL;

        assert_int_equal(journal_event_fields(_JOURNAL_EVENT_MAX, &request, NULL, &fields), -EINVAL);
        assert_int_equal(journal_event_fields(_JOURNAL_EVENT_INVALID, &request, NULL, &fields), -EINVAL);
        assert_null(fields);
        /* logs and sends nothing; never fails the caller */
        journal_event(_JOURNAL_EVENT_MAX, &request, NULL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_message_ids_are_ids_and_distinct),
                cmocka_unit_test(test_hostpmd_entries),
                cmocka_unit_test(test_helper_entries),
                cmocka_unit_test(test_only_the_kinds_fields),
                cmocka_unit_test(test_nothing_known),
                cmocka_unit_test(test_bad_kind),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
