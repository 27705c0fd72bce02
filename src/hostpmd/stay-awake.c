/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <fcntl.h>
#include <inttypes.h>
#include <systemd/sd-journal.h>
#include <time.h>
#include <unistd.h>

#include "bus-names.h"
#include "log.h"
#include "outcome.h"
#include "stay-awake.h"
#include "timespan.h"

/* Journal entries of the inhibitor taken and let go. */
#define HOSTPM_MESSAGE_STAY_AWAKE "63b685be7fa64f7ab3784897408ede9a"

struct StayAwakeHold {
        int fd;                       /* the inhibitor; -EBADF while asking */
        char *id;                     /* the request whose resume it follows */
        uint64_t until_realtime_usec;
        sd_bus_slot *inhibit_slot;    /* Inhibit() in flight */
        sd_event_source *timer;       /* CLOCK_REALTIME, at until_realtime_usec */
};

static void emit_changed(StayAwake *m) {
        (void) sd_bus_emit_properties_changed(m->bus, HOSTPM_OBJECT_PATH, HOSTPM_MANAGER_IFACE,
                                              "StayAwakeId", "StayAwakeUntilUSec", NULL);
}

static void journal(const StayAwakeHold *s, bool held, const char *why) {
        char until[WALL_TIME_MAX_STRING];
        _cleanup_free_ char *msg = NULL;

        format_wall_time(until, sizeof until, s->until_realtime_usec);
        if (held ? asprintf(&msg, "Holding a block inhibitor for sleep until %s, after the resume of request %s "
                            "(StayAwakeAfterWake=).", until, s->id) < 0
                 : asprintf(&msg, "Released the block inhibitor for sleep held after the resume of request %s: %s.",
                            s->id, why) < 0) {
                log_oom();
                return;
        }
        if (!log_stderr_is_journal())
                log_info("%s", msg);
        (void) sd_journal_send("MESSAGE=%s", msg,
                               "MESSAGE_ID=" HOSTPM_MESSAGE_STAY_AWAKE,
                               "PRIORITY=%i", LOG_INFO,
                               "HOSTPM_REQUEST_ID=%s", s->id,
                               "HOSTPM_STAY_AWAKE=%s", held ? "held" : "released",
                               "HOSTPM_STAY_AWAKE_UNTIL_USEC=%" PRIu64, s->until_realtime_usec,
                               NULL);
}

/* Lets go of the inhibitor (closing the fd is what logind sees). */
static void release(StayAwake *m, const char *why) {
        StayAwakeHold *s = m->held;

        if (!s)
                return;
        if (s->fd >= 0) {
                journal(s, /* held= */ false, why);
                close(s->fd);
        }
        sd_bus_slot_unref(s->inhibit_slot);
        sd_event_source_disable_unref(s->timer);
        free(s->id);
        free(s);
        m->held = NULL;
        emit_changed(m);
        if (m->idle)
                idle_exit_touch(m->idle);
}

void stay_awake_done(StayAwake *m) {
        release(m, "hostpmd is exiting");
}

static int time_up(sd_event_source *source, uint64_t usec, void *userdata) {
        release(userdata, "the time is up");
        return 0;
}

static int reply_inhibit(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        StayAwake *m = userdata;
        StayAwakeHold *s = m->held;
        const sd_bus_error *e = sd_bus_message_get_error(reply);
        int fd = -EBADF, r;

        s->inhibit_slot = sd_bus_slot_unref(s->inhibit_slot);
        if (e) {
                log_warning("logind refused the block inhibitor to stay awake after the resume of request %s: %s",
                            s->id, e->message ? e->message : e->name);
                release(m, "refused");
                return 0;
        }
        /* the fd belongs to the message */
        r = sd_bus_message_read(reply, "h", &fd);
        if (r >= 0) {
                s->fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
                if (s->fd < 0)
                        r = -errno;
        }
        if (r >= 0)
                r = sd_event_add_time(m->event, &s->timer, CLOCK_REALTIME, s->until_realtime_usec, USEC_PER_SEC,
                                      time_up, m);
        if (r < 0) {
                log_warning("Failed to hold the block inhibitor after the resume of request %s: %s", s->id,
                            STRERROR(r));
                release(m, "failed");
                return 0;
        }
        journal(s, /* held= */ true, NULL);
        emit_changed(m);
        return 0;
}

void stay_awake_check(StayAwake *m) {
        _cleanup_(outcome_done) Outcome o = {0};
        _cleanup_free_ char *why = NULL;
        const Pending *p = NULL;
        uint64_t until, now;
        StayAwakeHold *s;
        int r;

        if (m->config->stay_awake_usec == 0 || outcome_read(outcome_state_dir(), &o) < 0 ||
            o.result != OUTCOME_RESUMED || o.resumed_realtime_usec == 0)
                return;
        /* a helper still at work (its record between two of its own
         * sleeps) must not be blocked by us; its end is seen again */
        if (pending_cache_get(m->pending, &p, NULL) > 0 && p->state == PENDING_SUSPENDING)
                return;
        if (m->held && streq(m->held->id, o.id))
                return;  /* held, or asked for, already */
        until = usec_add(o.resumed_realtime_usec, m->config->stay_awake_usec);
        now = clock_now_usec(CLOCK_REALTIME);
        if (until <= now)
                return;

        release(m, "a newer request resumed");
        s = calloc(1, sizeof *s);
        if (!s || !(s->id = strdup(o.id)) ||
            asprintf(&why, "Staying awake after the timed wake of request %s, so the jobs it woke for run "
                     "(StayAwakeAfterWake=)", o.id) < 0) {
                if (s)
                        free(s->id);
                free(s);
                log_oom();
                return;
        }
        s->fd = -EBADF;
        s->until_realtime_usec = until;
        m->held = s;

        r = sd_bus_call_method_async(m->bus, &s->inhibit_slot, LOGIND_BUS_NAME, LOGIND_OBJECT_PATH,
                                     LOGIND_MANAGER_IFACE, "Inhibit", reply_inhibit, m, "ssss", "sleep", "hostpm",
                                     why, "block");
        if (r < 0) {
                log_warning("Failed to ask logind for a block inhibitor after the resume of request %s: %s", o.id,
                            STRERROR(r));
                release(m, "failed");
        }
}

bool stay_awake_busy(const StayAwake *m) {
        return m->held;
}

const char *stay_awake_id(const StayAwake *m) {
        return m->held && m->held->fd >= 0 ? m->held->id : NULL;
}

uint64_t stay_awake_until_usec(const StayAwake *m) {
        return m->held && m->held->fd >= 0 ? m->held->until_realtime_usec : 0;
}
