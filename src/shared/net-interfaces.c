/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <linux/netlink.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "json-util.h"
#include "net-interfaces.h"

void net_interfaces_done(NetInterfaces *n) {
        for (size_t i = 0; i < n->n; i++) {
                free(n->list[i].name);
                free(n->list[i].wol_error);
        }
        free(n->list);
        free(n->error_message);
        *n = (NetInterfaces) {0};
}

int net_interfaces_set_error(NetInterfaces *n, int error, const char *message) {
        char *m = strdup(message ? message : STRERROR(error));

        if (!m)
                return -ENOMEM;
        free(n->error_message);
        n->error_message = m;
        n->error = error < 0 ? error : -EIO;
        n->asked = true;
        return 0;
}

int net_interfaces_add(NetInterfaces *n, const char *name, const uint8_t mac[static ETHER_ADDR_LEN_BYTES],
                       const WolInfo *wol, const char *wol_error) {
        _cleanup_free_ char *copy = strdup(name), *error = NULL;
        NetInterface *l;

        if (wol->error < 0 && !(error = strdup(wol_error ? wol_error : STRERROR(wol->error))))
                return -ENOMEM;
        if (!copy)
                return -ENOMEM;
        l = realloc(n->list, (n->n + 1) * sizeof *l);
        if (!l)
                return -ENOMEM;
        n->list = l;
        n->list[n->n] = (NetInterface) { .name = TAKE_PTR(copy), .wol = *wol, .wol_error = TAKE_PTR(error) };
        memcpy(n->list[n->n].mac, mac, ETHER_ADDR_LEN_BYTES);
        n->n++;
        n->asked = true;
        return 0;
}

int net_interfaces_copy(const NetInterfaces *from, NetInterfaces *ret) {
        _cleanup_(net_interfaces_done) NetInterfaces n = { .asked = from->asked, .error = from->error };

        if (from->error_message && !(n.error_message = strdup(from->error_message)))
                return -ENOMEM;
        for (size_t i = 0; i < from->n; i++)
                if (net_interfaces_add(&n, from->list[i].name, from->list[i].mac, &from->list[i].wol,
                                       from->list[i].wol_error) < 0)
                        return -ENOMEM;
        n.asked = from->asked;
        *ret = n;
        n = (NetInterfaces) {0};
        return 0;
}

bool net_interface_name_valid(const char *s) {
        size_t n = s ? strlen(s) : 0;

        if (n == 0 || n >= IFNAMSIZ || streq(s, ".") || streq(s, ".."))
                return false;
        for (const char *p = s; *p; p++)
                if (*p == '/' || *p == ':' || (unsigned char) *p <= ' ' || *p == 0x7f)
                        return false;
        return true;
}

int net_interface_list_normalize(const char *s, char **ret, const char **ret_bad, size_t *ret_bad_len) {
        _cleanup_free_ char *out = NULL;
        size_t len = 0;

        for (const char *p = s ? s + strspn(s, " \t,") : ""; *p; p += strspn(p, " \t,")) {
                size_t n = strcspn(p, " \t,");
                char name[IFNAMSIZ];
                char *o;
                bool dup = false;

                if (n < sizeof name) {
                        memcpy(name, p, n);
                        name[n] = '\0';
                }
                if (n >= sizeof name || !net_interface_name_valid(name)) {
                        if (ret_bad)
                                *ret_bad = p;
                        if (ret_bad_len)
                                *ret_bad_len = n;
                        return -EINVAL;
                }
                for (const char *q = out; q && *q; q += strcspn(q, ",") + (q[strcspn(q, ",")] == ',')) {
                        size_t m = strcspn(q, ",");

                        dup = dup || (m == n && strncmp(q, name, n) == 0);
                }
                if (!dup) {
                        o = realloc(out, len + n + 2);
                        if (!o)
                                return -ENOMEM;
                        out = o;
                        if (len > 0)
                                out[len++] = ',';
                        memcpy(out + len, name, n + 1);
                        len += n;
                }
                p += n;
        }
        *ret = TAKE_PTR(out);
        return 0;
}

int net_ioctl_socket(void) {
        int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);

        return fd < 0 ? negative_errno() : fd;
}

static int ifreq_for(const char *ifname, struct ifreq *ifr) {
        if (!net_interface_name_valid(ifname))
                return -EINVAL;
        *ifr = (struct ifreq) {0};
        memcpy(ifr->ifr_name, ifname, strlen(ifname));
        return 0;
}

static int ethtool_wol(int fd, const char *ifname, struct ethtool_wolinfo *w) {
        struct ifreq ifr;
        int r;

        r = ifreq_for(ifname, &ifr);
        if (r < 0)
                return r;
        ifr.ifr_data = (void *) w;
        return ioctl(fd, SIOCETHTOOL, &ifr) < 0 ? negative_errno() : 0;
}

int net_interface_read_wol(int fd, const char *ifname, WolInfo *ret) {
        struct ethtool_wolinfo w = { .cmd = ETHTOOL_GWOL };
        int r;

        r = ethtool_wol(fd, ifname, &w);
        if (r == -EOPNOTSUPP) {
                *ret = (WolInfo) {0};
                return 0;
        }
        if (r < 0)
                return r;
        return wol_info_from_wolinfo(&w, ret);
}

int net_interface_arm_magic(int fd, const char *ifname, WolInfo *ret_before) {
        struct ethtool_wolinfo w = { .cmd = ETHTOOL_GWOL };
        WolInfo before;
        int r;

        /* read first: the answer carries the SecureOn password back */
        r = ethtool_wol(fd, ifname, &w);
        if (r < 0)
                return r;
        r = wol_info_from_wolinfo(&w, &before);
        if (r < 0)
                return r;
        if (ret_before)
                *ret_before = before;
        if (!(before.supported & WAKE_MAGIC))
                return -EOPNOTSUPP;
        if (before.enabled & WAKE_MAGIC)
                return 0;

        w.cmd = ETHTOOL_SWOL;
        w.wolopts |= WAKE_MAGIC;
        r = ethtool_wol(fd, ifname, &w);
        return r < 0 ? r : 1;
}

int net_interfaces_read(NetInterfaces *ret) {
        _cleanup_(net_interfaces_done) NetInterfaces n = { .asked = true };
        _cleanup_close_ int fd = -1;
        struct if_nameindex *names;
        int r = 0;

        fd = net_ioctl_socket();
        if (fd < 0)
                return fd;
        names = if_nameindex();
        if (!names)
                return negative_errno();

        for (struct if_nameindex *i = names; r >= 0 && i->if_index != 0; i++) {
                struct ifreq ifr;
                WolInfo wol;

                if (ifreq_for(i->if_name, &ifr) < 0 || ioctl(fd, SIOCGIFFLAGS, &ifr) < 0 ||
                    (ifr.ifr_flags & IFF_LOOPBACK))
                        continue;  /* gone meanwhile, or loopback */
                if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0 || ifr.ifr_hwaddr.sa_family != ARPHRD_ETHER)
                        continue;  /* no Ethernet address, no Wake-on-LAN */

                r = net_interface_read_wol(fd, i->if_name, &wol);
                if (r < 0)
                        wol = (WolInfo) { .error = r };
                r = net_interfaces_add(&n, i->if_name, (const uint8_t *) ifr.ifr_hwaddr.sa_data, &wol, NULL);
        }
        if_freenameindex(names);
        if (r < 0)
                return r;

        *ret = n;
        n = (NetInterfaces) {0};
        return 0;
}

static json_object *modes_to_json(uint32_t modes) {
        _cleanup_(json_object_putp) json_object *a = json_object_new_array();

        for (uint32_t bit = 1; a && bit <= WAKE_FILTER; bit <<= 1) {
                char buf[WOL_MODES_STRING_MAX];

                if ((modes & bit) && json_object_array_add(a, json_object_new_string(wol_modes_to_string(bit, buf))) < 0)
                        return NULL;
        }
        return TAKE_PTR(a);
}

static json_object *wol_to_json(const NetInterface *i) {
        _cleanup_(json_object_putp) json_object *o = json_object_new_object();
        const WolInfo *w = &i->wol;

        if (!o)
                return NULL;
        if (w->error < 0) {
                if (json_add(o, "error", json_object_new_string(i->wol_error ? i->wol_error : STRERROR(w->error))) < 0)
                        return NULL;
        } else if (json_add(o, "supported", modes_to_json(w->supported)) < 0 ||
                   json_add(o, "enabled", modes_to_json(w->enabled)) < 0)
                return NULL;
        return TAKE_PTR(o);
}

json_object *net_interfaces_to_json(const NetInterfaces *n) {
        _cleanup_(json_object_putp) json_object *o = json_object_new_object();
        json_object *a;

        if (!o || json_add(o, "status", json_object_new_string(n->error < 0 ? "failed" : "ok")) < 0)
                return NULL;
        if (n->error < 0)
                return json_add(o, "error", json_object_new_string(n->error_message ? n->error_message
                                                                                    : STRERROR(n->error))) < 0
                               ? NULL : TAKE_PTR(o);

        a = json_object_new_array();
        if (json_add(o, "interfaces", a) < 0)
                return NULL;
        for (size_t i = 0; i < n->n; i++) {
                json_object *e = json_object_new_object();
                char mac[ETHER_ADDR_STRING_MAX];

                if (!e || json_object_array_add(a, e) < 0) {
                        json_object_put(e);
                        return NULL;
                }
                if (json_add(e, "name", json_object_new_string(n->list[i].name)) < 0 ||
                    json_add(e, "mac", json_object_new_string(ether_addr_to_string(n->list[i].mac, mac))) < 0 ||
                    json_add(e, "wake_on_lan", wol_to_json(&n->list[i])) < 0)
                        return NULL;
        }
        return TAKE_PTR(o);
}

static int modes_from_json(json_object *a, uint32_t *ret) {
        uint32_t modes = 0;

        if (!json_object_is_type(a, json_type_array))
                return -EBADMSG;
        for (size_t i = 0; i < json_object_array_length(a); i++) {
                uint32_t bit;

                if (wol_mode_from_string(json_object_get_string(json_object_array_get_idx(a, i)), &bit) < 0)
                        return -EBADMSG;
                modes |= bit;
        }
        *ret = modes;
        return 0;
}

static const char *get_string(json_object *o, const char *key) {
        json_object *v;

        return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
                       ? json_object_get_string(v) : NULL;
}

int net_interfaces_from_json(json_object *o, NetInterfaces *ret) {
        _cleanup_(net_interfaces_done) NetInterfaces n = { .asked = true };
        const char *status = get_string(o, "status");
        json_object *a;

        if (streq_ptr(status, "failed")) {
                if (net_interfaces_set_error(&n, -EIO, get_string(o, "error")) < 0)
                        return -ENOMEM;
        } else {
                if (!streq_ptr(status, "ok") || !json_object_object_get_ex(o, "interfaces", &a) ||
                    !json_object_is_type(a, json_type_array))
                        return -EBADMSG;
                for (size_t i = 0; i < json_object_array_length(a); i++) {
                        json_object *e = json_object_array_get_idx(a, i), *w, *s, *en;
                        const char *name = get_string(e, "name");
                        uint8_t mac[ETHER_ADDR_LEN_BYTES];
                        WolInfo wol = {0};

                        if (!net_interface_name_valid(name) || ether_addr_from_string(get_string(e, "mac"), mac) < 0 ||
                            !json_object_object_get_ex(e, "wake_on_lan", &w))
                                return -EBADMSG;
                        if (json_object_object_get_ex(w, "supported", &s) && json_object_object_get_ex(w, "enabled", &en)) {
                                if (modes_from_json(s, &wol.supported) < 0 || modes_from_json(en, &wol.enabled) < 0)
                                        return -EBADMSG;
                        } else
                                wol.error = -EIO;  /* the text below says why */
                        if (net_interfaces_add(&n, name, mac, &wol, get_string(w, "error")) < 0)
                                return -ENOMEM;
                }
        }
        *ret = n;
        n = (NetInterfaces) {0};
        return 0;
}
