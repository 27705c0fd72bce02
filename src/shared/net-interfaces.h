/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The host's network interfaces as the capabilities document lists them:
 * name, MAC and Wake-on-LAN, read with the kernel's ethtool ioctl; and the
 * one change hostpm makes, arming magic-packet wake. Reading Wake-on-LAN
 * needs CAP_NET_ADMIN (the answer holds the SecureOn password) in the
 * host's network namespace: hostpm-netinfo does it for hostpmd, and
 * hostpm-sleep arms. */

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#include "macro.h"
#include "wol.h"

/* IFNAMSIZ - 1, without <net/if.h> (which clashes with <linux/if.h>) */
#define IFNAMSIZ_MAX 15

typedef struct NetInterface {
        char *name;
        uint8_t mac[ETHER_ADDR_LEN_BYTES];
        WolInfo wol;
        char *wol_error;       /* why wol is not known (wol.error < 0), as read or received */
} NetInterface;

typedef struct NetInterfaces {
        bool asked;            /* false: nobody asked (no element in the document) */
        int error;             /* < 0: asking failed, error_message says why, list is empty */
        char *error_message;
        NetInterface *list;
        size_t n;
} NetInterfaces;

void net_interfaces_done(NetInterfaces *n);
int net_interfaces_copy(const NetInterfaces *from, NetInterfaces *ret);
/* Records a failure; message may be NULL (then strerror). */
int net_interfaces_set_error(NetInterfaces *n, int error, const char *message);
/* Appends copies; wol_error NULL: strerror of wol->error if that is set. */
int net_interfaces_add(NetInterfaces *n, const char *name, const uint8_t mac[static ETHER_ADDR_LEN_BYTES],
                       const WolInfo *wol, const char *wol_error);

/* A socket for the interface ioctls: AF_NETLINK, the one family the
 * services' RestrictAddressFamilies= needs to allow for them. */
int net_ioctl_socket(void);

/* Every Ethernet interface of this network namespace except loopback, in
 * ifindex order; an interface whose Wake-on-LAN cannot be read is listed
 * with wol.error set. */
int net_interfaces_read(NetInterfaces *ret);

/* ETHTOOL_GWOL on one interface. -EOPNOTSUPP (a driver without
 * Wake-on-LAN) is not an error: *ret says "supports nothing". */
int net_interface_read_wol(int fd, const char *ifname, WolInfo *ret);

/* Adds magic-packet wake to what the interface has enabled (SecureOn
 * password and other modes kept). 1 if it was armed now, 0 if it already
 * was; -EOPNOTSUPP if the interface cannot wake on a magic packet;
 * *ret_before (if not NULL) gets what was enabled before. */
int net_interface_arm_magic(int fd, const char *ifname, WolInfo *ret_before);

/* {"status": "ok", "interfaces": [{"name", "mac", "wake_on_lan":
 * {"supported": [...], "enabled": [...]} or {"error": "..."}}]} or
 * {"status": "failed", "error": "..."}. */
json_object *net_interfaces_to_json(const NetInterfaces *n);
int net_interfaces_from_json(json_object *o, NetInterfaces *ret);

/* A name the kernel accepts for an interface: 1..15 bytes, no '/', ':',
 * white space; not "." or "..". */
bool net_interface_name_valid(const char *s);

/* "eno1 eno2" or "eno1,eno2" (white space and commas alike) into
 * "eno1,eno2": each name valid, none twice. NULL for an empty list.
 * -EINVAL with *ret_bad (if not NULL) pointing at the offending name in s
 * and *ret_bad_len its length. */
int net_interface_list_normalize(const char *s, char **ret, const char **ret_bad, size_t *ret_bad_len);
