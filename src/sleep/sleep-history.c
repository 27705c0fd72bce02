/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <time.h>

#include "history.h"
#include "log.h"
#include "sleep-history.h"
#include "timespan.h"

void sleep_history_record(const Outcome *o) {
        size_t dropped = 0;
        int r;

        r = history_append(outcome_state_dir(), o, clock_now_usec(CLOCK_REALTIME), &dropped);
        if (r < 0)
                log_warning_errno(r, "Failed to add request %s to the history in %s/%s, ignoring: %s",
                                  o->id, outcome_state_dir(), HISTORY_FILE_NAME, STRERROR(r));
        else if (dropped > 0)
                log_warning("The history in %s/%s had %zu unreadable line(s) (corrupt or cut off); "
                            "they are gone now.", outcome_state_dir(), HISTORY_FILE_NAME, dropped);
}
