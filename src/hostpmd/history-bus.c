/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "history-bus.h"
#include "history.h"
#include "log.h"
#include "outcome.h"

/* Anyone may call GetHistory as often as they like: a broken file is
 * logged when what is wrong with it changes, not on every call. */
static size_t unreadable_reported;

static void report_unreadable(int r, size_t unreadable) {
        if (unreadable == unreadable_reported)
                return;
        unreadable_reported = unreadable;
        if (r < 0)
                log_warning("Failed to read the history in %s/%s, reporting it empty: %s",
                            outcome_state_dir(), HISTORY_FILE_NAME, STRERROR(r));
        else if (unreadable > 0)
                log_warning("The history in %s/%s has %zu unreadable line(s) (corrupt or cut off), "
                            "left out; the next finished request rewrites it without them.",
                            outcome_state_dir(), HISTORY_FILE_NAME, unreadable);
}

static int append_entries(sd_bus_message *reply, const History *h, uint64_t since_usec) {
        int r;

        r = sd_bus_message_open_container(reply, 'a', "(tsssttsttus)");
        for (size_t i = 0; r >= 0 && i < h->n_entries; i++) {
                const HistoryEntry *e = &h->entries[i];

                if (e->finished_usec < since_usec)
                        continue;
                r = sd_bus_message_append(reply, "(tsssttsttus)", e->finished_usec, e->id, e->target,
                                          outcome_result_to_string(e->result), e->asked_usec, e->slept_usec,
                                          wake_source_to_string(e->wake_source), e->suspend_usec,
                                          e->resume_usec, (uint32_t) e->requester_uid, e->error);
        }
        if (r < 0)
                return r;
        return sd_bus_message_close_container(reply);
}

static int append_counts(sd_bus_message *reply, const History *h) {
        int r;

        r = sd_bus_message_open_container(reply, 'a', "(sst)");
        for (SleepTarget t = 0; r >= 0 && t < _SLEEP_TARGET_MAX; t++)
                for (OutcomeResult o = 0; r >= 0 && o < _OUTCOME_RESULT_MAX; o++)
                        if (h->counts[t][o] > 0)
                                r = sd_bus_message_append(reply, "(sst)", sleep_target_to_string(t),
                                                          outcome_result_to_string(o), h->counts[t][o]);
        if (r < 0)
                return r;
        return sd_bus_message_close_container(reply);
}

int method_get_history(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(history_done) History h = {0};
        size_t unreadable;
        uint64_t since;
        int r;

        r = sd_bus_message_read(message, "t", &since);
        if (r < 0)
                return r;

        /* A file that cannot be read is one unreadable record: the caller
         * learns that something is missing, and the rest of the status
         * still works. */
        r = history_read(outcome_state_dir(), &h);
        if (r == -ENOMEM)
                return r;
        unreadable = r < 0 ? 1 : h.n_unreadable;
        report_unreadable(r, unreadable);

        r = sd_bus_message_new_method_return(message, &reply);
        if (r >= 0)
                r = append_entries(reply, &h, since);
        if (r >= 0)
                r = append_counts(reply, &h);
        if (r >= 0)
                r = sd_bus_message_append(reply, "tu", h.slept_usec_total,
                                          (uint32_t) (unreadable > UINT32_MAX ? UINT32_MAX : unreadable));
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}
