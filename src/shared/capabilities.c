/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "bus-names.h"
#include "capabilities.h"
#include "macro.h"

static const char *const logind_answer_table[_LOGIND_ANSWER_MAX] = {
        [LOGIND_ANSWER_YES]                         = "yes",
        [LOGIND_ANSWER_NO]                          = "no",
        [LOGIND_ANSWER_NA]                          = "na",
        [LOGIND_ANSWER_CHALLENGE]                   = "challenge",
        [LOGIND_ANSWER_INHIBITED]                   = "inhibited",
        [LOGIND_ANSWER_INHIBITOR_BLOCKED]           = "inhibitor-blocked",
        [LOGIND_ANSWER_CHALLENGE_INHIBITOR_BLOCKED] = "challenge-inhibitor-blocked",
        [LOGIND_ANSWER_UNKNOWN]                     = "unknown",
};

const char *logind_answer_to_string(LogindAnswer a) {
        return a >= 0 && a < _LOGIND_ANSWER_MAX ? logind_answer_table[a] : NULL;
}

LogindAnswer logind_answer_from_string(const char *s) {
        if (!s)
                return LOGIND_ANSWER_UNKNOWN;
        /* "unknown" itself is not a logind answer: it stays UNKNOWN below. */
        for (LogindAnswer a = 0; a < LOGIND_ANSWER_UNKNOWN; a++)
                if (streq(s, logind_answer_table[a]))
                        return a;
        return LOGIND_ANSWER_UNKNOWN;
}

bool logind_answer_is_supported(LogindAnswer a) {
        switch (a) {
        case LOGIND_ANSWER_YES:
        case LOGIND_ANSWER_CHALLENGE:
        case LOGIND_ANSWER_INHIBITED:
        case LOGIND_ANSWER_INHIBITOR_BLOCKED:
        case LOGIND_ANSWER_CHALLENGE_INHIBITOR_BLOCKED:
                return true;
        case LOGIND_ANSWER_NO:
        case LOGIND_ANSWER_NA:
        case LOGIND_ANSWER_UNKNOWN:  /* never claim what we cannot interpret */
        default:
                return false;
        }
}

bool logind_answer_is_blocked(LogindAnswer a) {
        return IN_SET(a, LOGIND_ANSWER_INHIBITED, LOGIND_ANSWER_INHIBITOR_BLOCKED,
                      LOGIND_ANSWER_CHALLENGE_INHIBITOR_BLOCKED);
}

bool logind_answer_needs_authentication(LogindAnswer a) {
        return IN_SET(a, LOGIND_ANSWER_CHALLENGE, LOGIND_ANSWER_CHALLENGE_INHIBITOR_BLOCKED);
}

void capabilities_done(Capabilities *c) {
        free(c->query_error_name);
        free(c->query_error_message);
        for (size_t i = 0; i < ELEMENTSOF(c->targets); i++)
                free(c->targets[i].raw);
        rtc_info_done(&c->rtc);
        free(c->hibernate_problem);
        net_interfaces_done(&c->net);
        *c = (Capabilities) {0};
}

bool capabilities_target_supported(const Capabilities *c, SleepTarget t) {
        if (c->query_error != 0 || t < 0 || t >= _SLEEP_TARGET_MAX)
                return false;
        return logind_answer_is_supported(c->targets[t].answer);
}

int capabilities_set_query_error(Capabilities *c, int error, const char *name, const char *message) {
        char *n = NULL, *m = NULL;

        if (name && !(n = strdup(name)))
                return -ENOMEM;
        if (message && !(m = strdup(message))) {
                free(n);
                return -ENOMEM;
        }
        free(c->query_error_name);
        free(c->query_error_message);
        c->query_error = error < 0 ? error : -EIO;
        c->query_error_name = n;
        c->query_error_message = m;
        return 0;
}

typedef struct CanCall {
        CapabilitiesQuery *query;
        SleepTarget target;
        sd_bus_slot *slot;
} CanCall;

struct CapabilitiesQuery {
        Capabilities result;
        CanCall calls[_SLEEP_TARGET_MAX];
        unsigned pending;
        capabilities_query_done_t callback;
        void *userdata;
};

static void capabilities_query_free(CapabilitiesQuery *q) {
        if (!q)
                return;
        for (size_t i = 0; i < ELEMENTSOF(q->calls); i++)
                sd_bus_slot_unref(q->calls[i].slot);
        capabilities_done(&q->result);
        free(q);
}

void capabilities_query_cancel(CapabilitiesQuery *q) {
        capabilities_query_free(q);
}

/* One reply per target; the last one to arrive hands the result over. */
static int reply_can_method(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        CanCall *call = userdata;
        CapabilitiesQuery *q = call->query;
        SleepTarget target = call->target;
        const sd_bus_error *e;
        int r;

        e = sd_bus_message_get_error(reply);
        if (e && sd_bus_error_has_name(e, SD_BUS_ERROR_UNKNOWN_METHOD)) {
                /* an older logind without this verb: the target is not available */
                q->result.targets[target].answer = LOGIND_ANSWER_NA;
                q->result.targets[target].raw = strdup("na");
        } else if (e) {
                /* The first failure is the reason; later ones usually repeat it. */
                if (q->result.query_error == 0)
                        (void) capabilities_set_query_error(&q->result, -sd_bus_error_get_errno(e),
                                                            e->name, e->message);
        } else {
                const char *answer;

                r = sd_bus_message_read(reply, "s", &answer);
                if (r < 0) {
                        if (q->result.query_error == 0)
                                (void) capabilities_set_query_error(
                                                &q->result, r, SD_BUS_ERROR_INVALID_ARGS,
                                                "logind's answer was not a string");
                } else {
                        q->result.targets[target].answer = logind_answer_from_string(answer);
                        q->result.targets[target].raw = strdup(answer);
                }
        }

        if (--q->pending > 0)
                return 0;

        q->callback(&q->result, q->userdata);
        capabilities_query_free(q);
        return 0;
}

int capabilities_query_logind_async(
                sd_bus *bus,
                uint64_t timeout_usec,
                capabilities_query_done_t callback,
                void *userdata,
                CapabilitiesQuery **ret) {

        CapabilitiesQuery *q;
        int r;

        q = calloc(1, sizeof(*q));
        if (!q)
                return -ENOMEM;
        q->callback = callback;
        q->userdata = userdata;

        /* All four leave before any reply is read: one round trip in total. */
        for (SleepTarget t = 0; t < _SLEEP_TARGET_MAX; t++) {
                _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;

                q->calls[t] = (CanCall) { .query = q, .target = t };

                r = sd_bus_message_new_method_call(
                                bus, &m,
                                LOGIND_BUS_NAME, LOGIND_OBJECT_PATH, LOGIND_MANAGER_IFACE,
                                sleep_target_to_logind_can_method(t));
                if (r >= 0)
                        r = sd_bus_call_async(bus, &q->calls[t].slot, m, reply_can_method,
                                              &q->calls[t], timeout_usec);
                if (r < 0) {
                        capabilities_query_free(q);
                        return r;
                }
                q->pending++;
        }

        if (ret)
                *ret = q;
        return 0;
}
