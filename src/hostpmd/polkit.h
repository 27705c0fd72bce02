/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Asks polkit, asynchronously, whether the sender of a method call may do
 * one of hostpm's actions. Root is allowed without asking; no polkit on the
 * bus, an error, or no answer in time all mean "no". */

#include <systemd/sd-bus.h>

typedef struct PolkitCheck PolkitCheck;

/* Called exactly once unless the check is freed first: r > 0 allowed;
 * r < 0 refused, with error naming why (NotAuthorized, or
 * org.freedesktop.DBus.Error.InteractiveAuthorizationRequired when polkit
 * wants a password and the caller did not allow interaction). */
typedef void (*polkit_done_t)(int r, sd_bus_error *error, void *userdata);

/* Returns 1 if allowed at once (root), 0 if a check was started (done will
 * be called, *ret holds it), < 0 on local failure. details is a
 * NULL-terminated key, value, ... list shown by polkit agents. */
int polkit_check_async(
                sd_bus_message *call,
                const char *action,
                const char *const *details,
                polkit_done_t done,
                void *userdata,
                PolkitCheck **ret);

PolkitCheck *polkit_check_free(PolkitCheck *c);
