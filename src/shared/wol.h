/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Wake-on-LAN, the parts without a socket: the modes ethtool reports, MAC
 * addresses, and the magic packet. */

#include <linux/ethtool.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ETHER_ADDR_LEN_BYTES 6
#define ETHER_ADDR_STRING_MAX 18                    /* "aa:bb:cc:dd:ee:ff" and NUL */
#define WOL_MAGIC_PACKET_SIZE (6 + 16 * ETHER_ADDR_LEN_BYTES)  /* 102 */
#define WOL_PORT_DEFAULT 9                          /* "discard", as ether-wake and wakeonlan use */

/* The kernel's WAKE_* bits, by the names systemd's .link files use
 * (WakeOnLan=) plus ethtool's "filter". */
#define WOL_MODES_KNOWN (WAKE_PHY | WAKE_UCAST | WAKE_MCAST | WAKE_BCAST | WAKE_ARP | WAKE_MAGIC | \
                         WAKE_MAGICSECURE | WAKE_FILTER)
#define WOL_MODES_STRING_MAX 80

typedef struct WolInfo {
        /* 0: read; then supported and enabled are meaningful (0 for a
         * driver without Wake-on-LAN, e.g. veth). Otherwise why they are
         * not known (-EPERM, -ENODEV, ...). */
        int error;
        uint32_t supported;
        uint32_t enabled;
} WolInfo;

/* "phy unicast magic": the known bits' names in bit order, space
 * separated; "" for none. Unknown bits are left out. */
char *wol_modes_to_string(uint32_t modes, char buf[static WOL_MODES_STRING_MAX]);
/* One name: its bit, or -EINVAL. */
int wol_mode_from_string(const char *s, uint32_t *ret);
/* Space-separated names (as written above); "" is no mode. */
int wol_modes_from_string(const char *s, uint32_t *ret);

/* What ETHTOOL_GWOL filled in: checks it is a GWOL answer and keeps the
 * known bits; enabled modes the driver does not claim to support are
 * dropped (a driver bug, not a mode). -EBADMSG for another command. */
int wol_info_from_wolinfo(const struct ethtool_wolinfo *w, WolInfo *ret);

/* aa:bb:cc:dd:ee:ff or aa-bb-cc-dd-ee-ff, hex either case; -EINVAL else. */
int ether_addr_from_string(const char *s, uint8_t ret[static ETHER_ADDR_LEN_BYTES]);
char *ether_addr_to_string(const uint8_t a[static ETHER_ADDR_LEN_BYTES], char buf[static ETHER_ADDR_STRING_MAX]);
/* All zero, or a multicast/broadcast address: never a NIC's own. */
bool ether_addr_is_unicast(const uint8_t a[static ETHER_ADDR_LEN_BYTES]);

/* 6 x 0xff, then the MAC 16 times. */
void wol_magic_packet_build(const uint8_t mac[static ETHER_ADDR_LEN_BYTES], uint8_t ret[static WOL_MAGIC_PACKET_SIZE]);
