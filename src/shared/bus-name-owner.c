/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <limits.h>

#include "bus-name-owner.h"
#include "log.h"

#define BUS_DRIVER_PATH  "/org/freedesktop/DBus"
#define BUS_DRIVER_IFACE "org.freedesktop.DBus"

/* Forgeries logged at notice level per followed name; the rest at debug. */
#define IGNORED_NOTICES_MAX 8U

struct BusNameOwner {
        sd_bus *bus;
        sd_bus_slot *match, *call;
        NameOwnerState state;
        unsigned n_ignored;
};

static const char *strna(const char *s) {
        return s ? s : "n/a";
}

static bool is_unique_name(const char *s) {
        return s && s[0] == ':' && s[1] != '\0';
}

void name_owner_state_done(NameOwnerState *s) {
        free(s->name);
        free(s->owner);
        s->name = s->owner = NULL;
}

static int set_owner(NameOwnerState *s, const char *sender, const char *owner) {
        char *copy = NULL;

        /* Messages from the driver carry its name as sender; dbus-daemon
         * sets every sender field itself, so no client can claim it. */
        if (!streq_ptr(sender, BUS_DRIVER_NAME))
                return -EPERM;
        if (!isempty(owner)) {
                if (!is_unique_name(owner))
                        return -EBADMSG;
                copy = strdup(owner);
                if (!copy)
                        return -ENOMEM;
        }
        free(s->owner);
        s->owner = copy;
        return 1;
}

int name_owner_state_changed(NameOwnerState *s, const char *sender, const char *name, const char *new_owner) {
        if (!streq_ptr(sender, BUS_DRIVER_NAME))
                return -EPERM;
        if (!streq_ptr(name, s->name))
                return 0;
        return set_owner(s, sender, new_owner);
}

int name_owner_state_resolved(NameOwnerState *s, const char *sender, const char *owner) {
        return set_owner(s, sender, owner);
}

bool name_owner_state_is_owner(const NameOwnerState *s, const char *sender) {
        return is_unique_name(s->owner) && is_unique_name(sender) && streq(sender, s->owner);
}

static int on_name_owner_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        BusNameOwner *o = userdata;
        const char *name, *old_owner, *new_owner;
        int r;

        if (sd_bus_message_read(m, "sss", &name, &old_owner, &new_owner) < 0)
                return 0;
        r = name_owner_state_changed(&o->state, sd_bus_message_get_sender(m), name, new_owner);
        if (r == -EPERM)
                log_debug("Ignoring a NameOwnerChanged from %s: only the bus driver sends those.",
                          strna(sd_bus_message_get_sender(m)));
        else if (r > 0)
                log_debug("%s is now owned by %s.", o->state.name, strna(o->state.owner));
        return 0;
}

static int on_get_name_owner(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        BusNameOwner *o = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(m);
        const char *owner = NULL;
        int r;

        o->call = sd_bus_slot_unref(o->call);

        if (e && !sd_bus_error_has_name(e, "org.freedesktop.DBus.Error.NameHasNoOwner")) {
                /* Not known, so nothing is accepted until NameOwnerChanged says. */
                log_debug("Could not ask who owns %s: %s", o->state.name, e->message ? e->message : e->name);
                return 0;
        }
        if (!e && sd_bus_message_read(m, "s", &owner) < 0)
                return 0;
        r = name_owner_state_resolved(&o->state, sd_bus_message_get_sender(m), owner);
        if (r > 0)
                log_debug("%s is owned by %s.", o->state.name, strna(o->state.owner));
        return 0;
}

int bus_name_owner_new(sd_bus *bus, const char *name, BusNameOwner **ret) {
        _cleanup_(bus_name_owner_freep) BusNameOwner *o = NULL;
        _cleanup_free_ char *match = NULL;
        int r;

        o = calloc(1, sizeof *o);
        if (!o)
                return -ENOMEM;
        o->bus = sd_bus_ref(bus);
        o->state.name = strdup(name);
        if (!o->state.name)
                return -ENOMEM;

        if (asprintf(&match, "type='signal',sender='" BUS_DRIVER_NAME "',path='" BUS_DRIVER_PATH "',"
                     "interface='" BUS_DRIVER_IFACE "',member='NameOwnerChanged',arg0='%s'", name) < 0)
                return -ENOMEM;
        /* the match first: a change after GetNameOwner is answered is then seen */
        r = sd_bus_add_match_async(bus, &o->match, match, on_name_owner_changed, NULL, o);
        if (r < 0)
                return r;
        r = sd_bus_call_method_async(bus, &o->call, BUS_DRIVER_NAME, BUS_DRIVER_PATH, BUS_DRIVER_IFACE,
                                     "GetNameOwner", on_get_name_owner, o, "s", name);
        if (r < 0)
                return r;

        *ret = TAKE_PTR(o);
        return 0;
}

BusNameOwner *bus_name_owner_free(BusNameOwner *o) {
        if (!o)
                return NULL;
        sd_bus_slot_unref(o->match);
        sd_bus_slot_unref(o->call);
        sd_bus_unref(o->bus);
        name_owner_state_done(&o->state);
        free(o);
        return NULL;
}

const char *bus_name_owner_get(const BusNameOwner *o) {
        return o->state.owner;
}

bool bus_name_owner_sent(BusNameOwner *o, sd_bus_message *m) {
        const char *sender = sd_bus_message_get_sender(m);
        int level;

        if (name_owner_state_is_owner(&o->state, sender))
                return true;

        level = o->n_ignored < IGNORED_NOTICES_MAX ? LOG_NOTICE : LOG_DEBUG;
        if (o->n_ignored < UINT_MAX)
                o->n_ignored++;
        /* All bus-assigned or matched names, each at most 255 bytes: nothing
         * the sender wrote into the message itself. */
        log_full_errno(level, 0, "Ignoring %s.%s from %s: only the owner of %s (%s) may send it%s",
                       strna(sd_bus_message_get_interface(m)), strna(sd_bus_message_get_member(m)),
                       strna(sender), o->state.name, o->state.owner ? o->state.owner : "nobody now",
                       o->n_ignored == IGNORED_NOTICES_MAX ? "; more of these are logged at debug level." : ".");
        return false;
}
