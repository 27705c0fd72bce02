/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Every finished suspend cycle, in <state_dir>/history.jsonl: hostpm-sleep
 * adds one entry when it finishes, hostpmd reads them for GetHistory().
 *
 * JSON lines: a "totals" line (counts per target and result, and the time
 * asleep, since the history began: they only grow, as Prometheus counters
 * must, even when old entries are dropped), then the entries, oldest first.
 * Bounded in entries and bytes. Replaced whole, atomically, like the outcome
 * record. A line that is no entry (corrupt, or cut off) is counted and left
 * out; the next writer drops it. */

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "outcome.h"
#include "sleep-target.h"

#define HISTORY_FILE_NAME "history.jsonl"

/* The bounds the writer keeps: the oldest entries go first. */
#define HISTORY_ENTRIES_MAX 500
#define HISTORY_SIZE_MAX    (256 * 1024)
/* Bytes kept of an entry's error text (and the most any string may have). */
#define HISTORY_STRING_MAX  512
/* A file this big was not written by hostpm: it is not read at all. */
#define HISTORY_READ_MAX    (2 * HISTORY_SIZE_MAX)

typedef enum WakeSource {
        WAKE_SOURCE_NONE,     /* "": no sleep, or its end was not seen */
        WAKE_SOURCE_ALARM,    /* "rtc-alarm": the RTC alarm woke the host */
        WAKE_SOURCE_OTHER,    /* "other": something woke it before the alarm */
        _WAKE_SOURCE_MAX,
        _WAKE_SOURCE_INVALID = -EINVAL,
} WakeSource;

const char *wake_source_to_string(WakeSource w);
WakeSource wake_source_from_string(const char *s);

typedef struct HistoryEntry {
        uint64_t finished_usec;     /* CLOCK_REALTIME when the helper finished */
        char *id;
        char *target;               /* a known sleep target */
        OutcomeResult result;       /* resumed, failed, refused, cancelled */
        uint64_t asked_usec;
        uint64_t slept_usec;
        WakeSource wake_source;
        uint64_t suspend_usec;      /* when the sleep started (or logind was asked); 0 if never */
        uint64_t resume_usec;       /* when the host resumed; 0 if it did not sleep */
        uid_t requester_uid;
        char *error;                /* "" when nothing went wrong */
} HistoryEntry;

typedef struct History {
        HistoryEntry *entries;      /* oldest first */
        size_t n_entries;
        uint64_t counts[_SLEEP_TARGET_MAX][_OUTCOME_RESULT_MAX];
        uint64_t slept_usec_total;
        size_t n_unreadable;        /* lines left out: corrupt or cut off */
} History;

void history_entry_done(HistoryEntry *e);
void history_done(History *h);

/* The entry an outcome makes, finished at finished_usec: strings copied, the
 * error cut to HISTORY_STRING_MAX bytes of valid UTF-8. */
int history_entry_from_outcome(const Outcome *o, uint64_t finished_usec, HistoryEntry *ret);

/* Takes the entry (its strings move into h) and counts it in the totals. */
int history_add(History *h, HistoryEntry *e);

/* The whole history; a missing file is an empty one. -EFBIG for a file over
 * HISTORY_READ_MAX; unreadable lines are counted in n_unreadable, never an
 * error. */
int history_read(const char *state_dir, History *ret);

/* Parses a history file's text (what history_read() does after reading). */
int history_parse(const char *text, size_t size, History *ret);

/* The file's text for h, dropping the oldest entries (from h too) until the
 * bounds hold. */
int history_format(History *h, char **ret, size_t *ret_size);

/* Adds the outcome to the file, under a lock on state_dir (created if
 * missing, not its parents). *ret_dropped (if given) is how many unreadable
 * lines the old file had, now gone; an oversized file counts as one. */
int history_append(const char *state_dir, const Outcome *o, uint64_t finished_usec, size_t *ret_dropped);
