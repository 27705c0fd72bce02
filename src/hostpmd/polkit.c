/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "bus-names.h"
#include "log.h"
#include "macro.h"
#include "polkit.h"
#include "test-seam.h"

/* A person may take a while to type a password; a service may not. */
#define POLKIT_TIMEOUT_USEC             (25 * USEC_PER_SEC)
#define POLKIT_INTERACTIVE_TIMEOUT_USEC (300 * USEC_PER_SEC)

/* CheckAuthorization's flags argument. */
#define POLKIT_CHECK_ALLOW_USER_INTERACTION 1U

struct PolkitCheck {
        sd_bus_slot *slot;
        char *action;
        char *sender;
        bool interactive;
        polkit_done_t done;
        void *userdata;
};

PolkitCheck *polkit_check_free(PolkitCheck *c) {
        if (!c)
                return NULL;
        sd_bus_slot_unref(c->slot);
        free(c->action);
        free(c->sender);
        free(c);
        return NULL;
}

static uint64_t polkit_timeout_usec(bool interactive) {
        /* Test seam, read once: lets tests prove "no answer" is a denial
         * without waiting the production timeout. */
        static uint64_t override = UINT64_MAX;

        if (override == UINT64_MAX) {
                const char *e = test_seam_getenv(TEST_SEAM_POLKIT_TIMEOUT_USEC);
                unsigned long long v;

                override = e && sscanf(e, "%llu", &v) == 1 ? v : 0;  /* 0: the defaults */
        }
        if (override > 0)
                return override;
        return interactive ? POLKIT_INTERACTIVE_TIMEOUT_USEC : POLKIT_TIMEOUT_USEC;
}

static int deny(PolkitCheck *c, const char *why) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;

        sd_bus_error_setf(&error, HOSTPM_ERROR_NOT_AUTHORIZED,
                          "Not authorized for %s: %s. Ask an administrator to grant the action "
                          "(for example by membership in the 'hostpm' group).",
                          c->action, why);
        c->done(-EACCES, &error, c->userdata);
        return 0;
}

static int reply_check_authorization(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        PolkitCheck *c = userdata;
        const sd_bus_error *e;
        int authorized, challenge, r;

        e = sd_bus_message_get_error(reply);
        if (e) {
                /* polkit absent, broken or too slow: never grant by default */
                log_warning("polkit could not decide %s for %s: %s (%s); denying.",
                            c->action, c->sender, e->message ? e->message : "no message", e->name);
                return deny(c, "the authorization service did not answer");
        }

        r = sd_bus_message_enter_container(reply, 'r', "bba{ss}");
        if (r >= 0)
                r = sd_bus_message_read(reply, "bb", &authorized, &challenge);
        if (r < 0) {
                log_warning("polkit sent a malformed answer for %s: %s; denying.", c->action, STRERROR(r));
                return deny(c, "the authorization service sent a malformed answer");
        }

        if (authorized) {
                c->done(1, NULL, c->userdata);
                return 0;
        }
        if (challenge && !c->interactive) {
                _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;

                sd_bus_error_setf(&error, SD_BUS_ERROR_INTERACTIVE_AUTHORIZATION_REQUIRED,
                                  "Authentication is required for %s; call again allowing interactive "
                                  "authorization (hostpm-suspend asks for a password unless --no-ask-password).",
                                  c->action);
                c->done(-EACCES, &error, c->userdata);
                return 0;
        }
        return deny(c, "polkit refused");
}

int polkit_check_async(
                sd_bus_message *call,
                const char *action,
                const char *const *details,
                polkit_done_t done,
                void *userdata,
                PolkitCheck **ret) {

        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        _cleanup_(sd_bus_creds_unrefp) sd_bus_creds *creds = NULL;
        PolkitCheck *c;
        uid_t uid;
        int r;

        r = sd_bus_query_sender_creds(call, SD_BUS_CREDS_EUID, &creds);
        if (r < 0)
                return r;
        r = sd_bus_creds_get_euid(creds, &uid);
        if (r < 0)
                return r;
        if (uid == 0)
                return 1;

        c = calloc(1, sizeof *c);
        if (!c)
                return -ENOMEM;
        c->action = strdup(action);
        c->sender = strdup(sd_bus_message_get_sender(call));
        c->interactive = sd_bus_message_get_allow_interactive_authorization(call) > 0;
        c->done = done;
        c->userdata = userdata;
        if (!c->action || !c->sender) {
                polkit_check_free(c);
                return -ENOMEM;
        }

        r = sd_bus_message_new_method_call(sd_bus_message_get_bus(call), &m,
                                           POLKIT_BUS_NAME, POLKIT_OBJECT_PATH, POLKIT_AUTHORITY_IFACE,
                                           "CheckAuthorization");
        if (r >= 0)
                /* the subject is the caller's bus name, so polkit checks the
                 * process that really asked, not hostpmd */
                r = sd_bus_message_append(m, "(sa{sv})s", "system-bus-name", 1, "name", "s", c->sender, action);
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'a', "{ss}");
        for (const char *const *d = details; r >= 0 && d && d[0] && d[1]; d += 2)
                r = sd_bus_message_append(m, "{ss}", d[0], d[1]);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r >= 0)
                r = sd_bus_message_append(m, "us", c->interactive ? POLKIT_CHECK_ALLOW_USER_INTERACTION : 0U, "");
        if (r >= 0)
                r = sd_bus_call_async(sd_bus_message_get_bus(call), &c->slot, m, reply_check_authorization, c,
                                      polkit_timeout_usec(c->interactive));
        if (r < 0) {
                polkit_check_free(c);
                return r;
        }

        *ret = c;
        return 0;
}
