/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <arpa/inet.h>
#include <ctype.h>
#include <netdb.h>

#include "json-util.h"
#include "wake-details.h"

#define ARP_TABLE "/proc/net/arp"
#define ATF_COM 0x02  /* a complete entry (net/if_arp.h) */

void wake_details_done(WakeDetails *w) {
        free(w->interface);
        free(w->wol_supported);
        free(w->wol_enabled);
        *w = (WakeDetails) {0};
}

int mac_from_string(const char *s, unsigned char ret[6]) {
        unsigned char m[6];

        for (int i = 0; i < 6; i++) {
                if (!isxdigit((unsigned char) s[0]) || !isxdigit((unsigned char) s[1]))
                        return -EINVAL;
                m[i] = (unsigned char) strtoul((char[]) { s[0], s[1], 0 }, NULL, 16);
                s += 2;
                if (i < 5 && *s != ':' && *s != '-')
                        return -EINVAL;
                if (i < 5)
                        s++;
        }
        if (*s != '\0')
                return -EINVAL;
        memcpy(ret, m, 6);
        return 0;
}

static int set_mac(WakeDetails *w, const char *s) {
        unsigned char m[6];

        if (mac_from_string(s, m) < 0 || (m[0] & 1) || !(m[0] | m[1] | m[2] | m[3] | m[4] | m[5]))
                return -EINVAL;  /* not one NIC's address: multicast, broadcast or zero */
        snprintf(w->mac, sizeof w->mac, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
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

/* hostpm's capabilities document lists no network interfaces yet: until
 * it does, the neighbour table is the only source. */
static int from_capabilities(json_object *capabilities, WakeDetails *w) {
        json_object *interfaces;

        if (!capabilities || !json_object_object_get_ex(capabilities, "network_interfaces", &interfaces) ||
            !json_object_is_type(interfaces, json_type_array))
                return -ENOENT;
        return -ENOENT;
}

int wake_details_find(json_object *capabilities, const char *node, WakeDetails *ret, const char **ret_why) {
        WakeDetails w = {0};

        if (from_capabilities(capabilities, &w) < 0 && from_neighbours(node, &w, ret_why) < 0)
                return -ENOENT;
        *ret = w;
        return 0;
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
