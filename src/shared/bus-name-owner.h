/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Who may speak for a well-known bus name: the unique name that owns it
 * right now, and nobody else.
 *
 * dbus-daemon filters only broadcasts by match rules: a signal sent
 * straight to our unique name is delivered whatever our matches say, and
 * the default system bus policy lets every user send signals. sd-bus
 * cannot help: it never learns who owns a well-known name, so its match
 * on sender='org.freedesktop.login1' lets any unique sender through. So a
 * signal "from logind" is logind's only if its sender is the unique name
 * that owns org.freedesktop.login1 now. We learn that from the bus driver
 * alone: NameOwnerChanged, subscribed to first, then GetNameOwner, so no
 * change can slip between the two. Until the driver has told us, and
 * while the name has no owner, nothing is accepted. */

#include <stdbool.h>
#include <systemd/sd-bus.h>

#include "macro.h"

#define BUS_DRIVER_NAME "org.freedesktop.DBus"

/* The plain part, no bus in sight, for the unit tests. */
typedef struct NameOwnerState {
        char *name;      /* the well-known name followed */
        char *owner;     /* its unique owner; NULL: none, or not known yet */
} NameOwnerState;

void name_owner_state_done(NameOwnerState *s);

/* NameOwnerChanged(name, old_owner, new_owner) as sent by sender. Applied
 * only when the bus driver sent it (anyone can send a signal by that name
 * to us) and it is about our name. Returns 1 if applied, 0 if it is about
 * another name, -EPERM if it is not the driver's, -EBADMSG if new_owner is
 * neither empty nor a unique name, -ENOMEM. */
int name_owner_state_changed(NameOwnerState *s, const char *sender, const char *name, const char *new_owner);

/* The driver's answer to GetNameOwner: the owner, or NULL for
 * NameHasNoOwner. Same returns as name_owner_state_changed(). */
int name_owner_state_resolved(NameOwnerState *s, const char *sender, const char *owner);

/* sender is the current owner: a unique name (":1.42"), equal to it. */
bool name_owner_state_is_owner(const NameOwnerState *s, const char *sender);

/* The bus part. */
typedef struct BusNameOwner BusNameOwner;

/* Starts following name on bus: the NameOwnerChanged match and the
 * GetNameOwner call are queued in that order and answered as the bus is
 * processed, in the order they arrive. */
int bus_name_owner_new(sd_bus *bus, const char *name, BusNameOwner **ret);
BusNameOwner *bus_name_owner_free(BusNameOwner *o);
DEFINE_TRIVIAL_CLEANUP_FUNC(BusNameOwner *, bus_name_owner_free)

/* The unique name that owns the name now; NULL if none (or not known yet). */
const char *bus_name_owner_get(const BusNameOwner *o);

/* m was sent by the current owner. If not, says so: at notice level for
 * the first few, then at debug, so a flood of forgeries cannot flood the
 * log; only bus-assigned names are logged, never the message's contents.
 * (Library code logs at debug elsewhere; this is the one decision all
 * three programs share, so it is made and told the same way.) */
bool bus_name_owner_sent(BusNameOwner *o, sd_bus_message *m);
