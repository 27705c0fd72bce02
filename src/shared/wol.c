/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "macro.h"
#include "wol.h"

static const struct {
        uint32_t bit;
        const char *name;
} wol_mode_names[] = {
        { WAKE_PHY,         "phy" },
        { WAKE_UCAST,       "unicast" },
        { WAKE_MCAST,       "multicast" },
        { WAKE_BCAST,       "broadcast" },
        { WAKE_ARP,         "arp" },
        { WAKE_MAGIC,       "magic" },
        { WAKE_MAGICSECURE, "secureon" },
        { WAKE_FILTER,      "filter" },
};

char *wol_modes_to_string(uint32_t modes, char buf[static WOL_MODES_STRING_MAX]) {
        size_t n = 0;

        buf[0] = '\0';
        for (size_t i = 0; i < ELEMENTSOF(wol_mode_names); i++)
                if (modes & wol_mode_names[i].bit)
                        n += (size_t) snprintf(buf + n, WOL_MODES_STRING_MAX - n, "%s%s", n > 0 ? " " : "",
                                               wol_mode_names[i].name);
        return buf;
}

int wol_mode_from_string(const char *s, uint32_t *ret) {
        for (size_t i = 0; s && i < ELEMENTSOF(wol_mode_names); i++)
                if (streq(s, wol_mode_names[i].name)) {
                        *ret = wol_mode_names[i].bit;
                        return 0;
                }
        return -EINVAL;
}

int wol_modes_from_string(const char *s, uint32_t *ret) {
        uint32_t modes = 0;

        if (!s)
                return -EINVAL;
        for (s += strspn(s, " "); *s; s += strspn(s, " ")) {
                size_t n = strcspn(s, " ");
                char word[16];
                uint32_t bit;

                if (n >= sizeof word)
                        return -EINVAL;
                memcpy(word, s, n);
                word[n] = '\0';
                if (wol_mode_from_string(word, &bit) < 0)
                        return -EINVAL;
                modes |= bit;
                s += n;
        }
        *ret = modes;
        return 0;
}

int wol_info_from_wolinfo(const struct ethtool_wolinfo *w, WolInfo *ret) {
        if (w->cmd != ETHTOOL_GWOL)
                return -EBADMSG;
        *ret = (WolInfo) {
                .supported = w->supported & WOL_MODES_KNOWN,
                .enabled = w->wolopts & w->supported & WOL_MODES_KNOWN,
        };
        return 0;
}

static int hex_digit(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -EINVAL;
}

int ether_addr_from_string(const char *s, uint8_t ret[static ETHER_ADDR_LEN_BYTES]) {
        uint8_t a[ETHER_ADDR_LEN_BYTES];
        char sep;

        /* exactly "xx:xx:xx:xx:xx:xx", one separator throughout */
        if (!s || strlen(s) != ETHER_ADDR_STRING_MAX - 1)
                return -EINVAL;
        sep = s[2];
        if (sep != ':' && sep != '-')
                return -EINVAL;
        for (size_t i = 0; i < ETHER_ADDR_LEN_BYTES; i++) {
                int hi = hex_digit(s[3 * i]), lo = hex_digit(s[3 * i + 1]);

                if (hi < 0 || lo < 0 || (i < ETHER_ADDR_LEN_BYTES - 1 && s[3 * i + 2] != sep))
                        return -EINVAL;
                a[i] = (uint8_t) (hi << 4 | lo);
        }
        memcpy(ret, a, sizeof a);
        return 0;
}

char *ether_addr_to_string(const uint8_t a[static ETHER_ADDR_LEN_BYTES], char buf[static ETHER_ADDR_STRING_MAX]) {
        snprintf(buf, ETHER_ADDR_STRING_MAX, "%02x:%02x:%02x:%02x:%02x:%02x", a[0], a[1], a[2], a[3], a[4], a[5]);
        return buf;
}

bool ether_addr_is_unicast(const uint8_t a[static ETHER_ADDR_LEN_BYTES]) {
        static const uint8_t zero[ETHER_ADDR_LEN_BYTES] = {0};

        return !(a[0] & 0x01) && memcmp(a, zero, sizeof zero) != 0;
}

void wol_magic_packet_build(const uint8_t mac[static ETHER_ADDR_LEN_BYTES], uint8_t ret[static WOL_MAGIC_PACKET_SIZE]) {
        memset(ret, 0xff, 6);
        for (size_t i = 0; i < 16; i++)
                memcpy(ret + 6 + i * ETHER_ADDR_LEN_BYTES, mac, ETHER_ADDR_LEN_BYTES);
}
