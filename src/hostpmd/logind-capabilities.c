/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "bus-names.h"
#include "logind-capabilities.h"
#include "macro.h"
#include "test-seam.h"

uint64_t logind_capabilities_timeout_usec(void) {
        static uint64_t timeout = 0;

        /* test seam: lets a test of logind's silence end quickly */
        if (timeout == 0) {
                const char *e = test_seam_getenv(TEST_SEAM_LOGIND_TIMEOUT_USEC);
                unsigned long long v;

                timeout = e && sscanf(e, "%llu", &v) == 1 && v > 0 ? v : LOGIND_CAPABILITIES_TIMEOUT_USEC;
        }
        return timeout;
}

typedef struct CanCall {
        LogindQuery *query;
        SleepTarget target;
        sd_bus_slot *slot;
} CanCall;

struct LogindQuery {
        Capabilities result;
        CanCall calls[_SLEEP_TARGET_MAX];
        unsigned pending;
        logind_query_done_t done;
        void *userdata;
};

void logind_query_cancel(LogindQuery *q) {
        if (!q)
                return;
        for (size_t i = 0; i < ELEMENTSOF(q->calls); i++)
                sd_bus_slot_unref(q->calls[i].slot);
        capabilities_done(&q->result);
        free(q);
}

/* One reply per target; the last one to arrive hands the result over. */
static int reply_can_method(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        CanCall *call = userdata;
        LogindQuery *q = call->query;
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

        q->done(&q->result, q->userdata);
        logind_query_cancel(q);
        return 0;
}

int logind_query_async(sd_bus *bus, uint64_t timeout_usec, logind_query_done_t done, void *userdata,
                       LogindQuery **ret) {
        LogindQuery *q;
        int r;

        q = calloc(1, sizeof(*q));
        if (!q)
                return -ENOMEM;
        q->done = done;
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
                        logind_query_cancel(q);
                        return r;
                }
                q->pending++;
        }

        if (ret)
                *ret = q;
        return 0;
}
