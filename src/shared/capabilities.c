/* SPDX-License-Identifier: LGPL-2.1-or-later */

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
