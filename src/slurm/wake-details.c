/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <arpa/inet.h>
#include <netdb.h>

#include "json-util.h"
#include "wake-details.h"
#include "wol.h"

#define ARP_TABLE "/proc/net/arp"
#define ATF_COM 0x02  /* a complete entry (net/if_arp.h) */

void wake_details_done(WakeDetails *w) {
        free(w->interface);
        free(w->wol_supported);
        free(w->wol_enabled);
        *w = (WakeDetails) {0};
}

static int set_mac(WakeDetails *w, const char *s) {
        uint8_t m[ETHER_ADDR_LEN_BYTES];

        if (ether_addr_from_string(s, m) < 0 || !ether_addr_is_unicast(m))
                return -EINVAL;  /* not one NIC's address: multicast, broadcast or zero */
        ether_addr_to_string(m, w->mac);
        return 0;
}

/* The node's IPv4 addresses, as the controller resolves its name. */
static int resolve(const char *node, struct in_addr *ret, size_t max, size_t *ret_n) {
        struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_STREAM }, *ai = NULL;
        size_t n = 0;

        if (getaddrinfo(node, NULL, &hints, &ai) != 0)
                return -EHOSTUNREACH;
        for (struct addrinfo *i = ai; i && n < max; i = i->ai_next)
                ret[n++] = ((struct sockaddr_in *) i->ai_addr)->sin_addr;
        freeaddrinfo(ai);
        *ret_n = n;
        return n > 0 ? 0 : -EHOSTUNREACH;
}

static int from_neighbours(const char *node, WakeDetails *w, const char **ret_why) {
        _cleanup_fclose_ FILE *f = NULL;
        struct in_addr addrs[8];
        char line[256];
        size_t n;

        if (resolve(node, addrs, ELEMENTSOF(addrs), &n) < 0) {
                *ret_why = "its name does not resolve to an IPv4 address on the controller";
                return -ENOENT;
        }
        f = fopen(ARP_TABLE, "re");
        if (!f) {
                *ret_why = "the controller's neighbour table (" ARP_TABLE ") cannot be read";
                return -ENOENT;
        }
        while (fgets(line, sizeof line, f)) {
                char ip[64], hw[64], device[64];
                unsigned type, flags;
                struct in_addr a;

                if (sscanf(line, "%63s 0x%x 0x%x %63s %*s %63s", ip, &type, &flags, hw, device) != 5 ||
                    inet_pton(AF_INET, ip, &a) != 1 || !(flags & ATF_COM))
                        continue;
                for (size_t i = 0; i < n; i++)
                        if (a.s_addr == addrs[i].s_addr && set_mac(w, hw) >= 0) {
                                w->source = "neighbour";
                                return 0;
                        }
        }
        *ret_why = "the node is not in the controller's neighbour table (not on the controller's link?)";
        return -ENOENT;
}

static json_object *get(json_object *o, const char *key) {
        json_object *v;

        return o && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

/* "magic phy" from ["magic", "phy"]; NULL on OOM */
static char *modes(json_object *a) {
        size_t len = 1;
        char *s;

        for (size_t i = 0; a && i < json_object_array_length(a); i++)
                len += strlen(json_object_get_string(json_object_array_get_idx(a, i))) + 1;
        s = calloc(len, 1);
        for (size_t i = 0; s && a && i < json_object_array_length(a); i++) {
                if (i > 0)
                        strcat(s, " ");
                strcat(s, json_object_get_string(json_object_array_get_idx(a, i)));
        }
        return s;
}

static bool supports_magic(json_object *interface) {
        json_object *a = get(get(interface, "wake_on_lan"), "supported");

        for (size_t i = 0; a && json_object_is_type(a, json_type_array) && i < json_object_array_length(a); i++)
                if (streq(json_object_get_string(json_object_array_get_idx(a, i)), "magic"))
                        return true;
        return false;
}

/* The node's own list of interfaces (hostpm-netinfo): the one the
 * controller reached (its MAC is in the neighbour table), else the one
 * that can wake on a magic packet, else the only one. */
static int from_capabilities(json_object *capabilities, const char *neighbour_mac, WakeDetails *w) {
        json_object *list = get(get(capabilities, "network_interfaces"), "interfaces"), *chosen = NULL, *wol;
        size_t n = list && json_object_is_type(list, json_type_array) ? json_object_array_length(list) : 0;
        const char *mac, *name;

        for (size_t i = 0; neighbour_mac && i < n && !chosen; i++) {
                json_object *e = json_object_array_get_idx(list, i);

                if (streq_ptr(json_object_get_string(get(e, "mac")), neighbour_mac))
                        chosen = e;
        }
        for (size_t i = 0; i < n && !chosen; i++)
                if (supports_magic(json_object_array_get_idx(list, i)))
                        chosen = json_object_array_get_idx(list, i);
        if (!chosen && n == 1)
                chosen = json_object_array_get_idx(list, 0);
        if (!chosen)
                return -ENOENT;

        mac = json_object_get_string(get(chosen, "mac"));
        if (!mac || set_mac(w, mac) < 0)
                return -ENOENT;
        wol = get(chosen, "wake_on_lan");
        name = json_object_get_string(get(chosen, "name"));
        w->source = "capabilities";
        w->interface = strdup(name ? name : "");
        w->wol_supported = modes(get(wol, "supported"));
        w->wol_enabled = modes(get(wol, "enabled"));
        if (!w->interface || !w->wol_supported || !w->wol_enabled)
                return -ENOMEM;
        return 0;
}

int wake_details_find(json_object *capabilities, const char *node, WakeDetails *ret, const char **ret_why) {
        WakeDetails neighbour = {0}, w = {0};
        bool have_neighbour = from_neighbours(node, &neighbour, ret_why) >= 0;
        int r;

        r = from_capabilities(capabilities, have_neighbour ? neighbour.mac : NULL, &w);
        if (r == -ENOMEM) {
                wake_details_done(&w);
                return r;
        }
        if (r < 0) {
                wake_details_done(&w);
                if (!have_neighbour)
                        return -ENOENT;  /* *ret_why says why not the neighbour table */
                w = neighbour;
        }
        *ret = w;
        return 0;
}

bool wake_details_magic_supported(const WakeDetails *w) {
        if (!w->wol_supported)
                return true;  /* not known: the neighbour table says nothing of it */
        for (const char *p = w->wol_supported; *p; p += strcspn(p, " "), p += strspn(p, " "))
                if (strncmp(p, "magic", 5) == 0 && (p[5] == ' ' || p[5] == '\0'))
                        return true;
        return false;
}

json_object *wake_details_to_json(const WakeDetails *w) {
        _cleanup_(json_object_putp) json_object *o = json_object_new_object();

        if (!o || json_add(o, "mac", json_object_new_string(w->mac)) < 0 ||
            json_add(o, "source", json_object_new_string(w->source)) < 0 ||
            (w->interface && json_add(o, "interface", json_object_new_string(w->interface)) < 0) ||
            (w->wol_supported && json_add(o, "wol_supported", json_object_new_string(w->wol_supported)) < 0) ||
            (w->wol_enabled && json_add(o, "wol_enabled", json_object_new_string(w->wol_enabled)) < 0))
                return NULL;
        return TAKE_PTR(o);
}
