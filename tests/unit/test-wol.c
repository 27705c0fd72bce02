/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "macro.h"
#include "net-interfaces.h"
#include "wol.h"

static void test_modes_to_string(void **state) {
        char buf[WOL_MODES_STRING_MAX];

        assert_string_equal(wol_modes_to_string(0, buf), "");
        assert_string_equal(wol_modes_to_string(WAKE_MAGIC, buf), "magic");
        assert_string_equal(wol_modes_to_string(WAKE_PHY | WAKE_UCAST | WAKE_MCAST | WAKE_BCAST | WAKE_MAGIC, buf),
                            "phy unicast multicast broadcast magic");
        assert_string_equal(wol_modes_to_string(UINT32_MAX, buf),
                            "phy unicast multicast broadcast arp magic secureon filter");
        assert_string_equal(wol_modes_to_string(1U << 20, buf), "");   /* unknown bits: left out */
}

static void test_modes_from_string(void **state) {
        static const struct {
                const char *s;
                int r;
                uint32_t modes;
        } table[] = {
                { "",                        0,       0 },
                { "magic",                   0,       WAKE_MAGIC },
                { "phy magic",               0,       WAKE_PHY | WAKE_MAGIC },
                { "  magic   phy ",          0,       WAKE_PHY | WAKE_MAGIC },
                { "magic magic",             0,       WAKE_MAGIC },
                { "secureon filter arp",     0,       WAKE_MAGICSECURE | WAKE_FILTER | WAKE_ARP },
                { "g",                       -EINVAL, 0 },   /* ethtool's letters are not names */
                { "Magic",                   -EINVAL, 0 },
                { "magic,phy",               -EINVAL, 0 },
                { "magicmagicmagicmagic",    -EINVAL, 0 },
                { "off",                     -EINVAL, 0 },
        };

        for (size_t i = 0; i < ELEMENTSOF(table); i++) {
                uint32_t modes = 0xdead;
                int r = wol_modes_from_string(table[i].s, &modes);

                if (r != table[i].r || (r == 0 && modes != table[i].modes))
                        fail_msg("'%s': expected %d/%#x, got %d/%#x", table[i].s, table[i].r, table[i].modes, r, modes);
                if (r < 0)
                        assert_int_equal(modes, 0xdead);
        }
        assert_int_equal(wol_modes_from_string(NULL, &(uint32_t) {0}), -EINVAL);
}

/* What drivers hand back through ETHTOOL_GWOL. */
static void test_wolinfo(void **state) {
        static const struct {
                struct ethtool_wolinfo w;
                int r;
                uint32_t supported, enabled;
        } table[] = {
                /* e1000e: pumbg supported, g enabled */
                { { .cmd = ETHTOOL_GWOL, .supported = WAKE_PHY | WAKE_UCAST | WAKE_MCAST | WAKE_BCAST | WAKE_MAGIC,
                    .wolopts = WAKE_MAGIC },
                  0, WAKE_PHY | WAKE_UCAST | WAKE_MCAST | WAKE_BCAST | WAKE_MAGIC, WAKE_MAGIC },
                /* nothing supported (a virtual NIC that answers at all) */
                { { .cmd = ETHTOOL_GWOL }, 0, 0, 0 },
                /* supported but disabled ("d") */
                { { .cmd = ETHTOOL_GWOL, .supported = WAKE_MAGIC }, 0, WAKE_MAGIC, 0 },
                /* bits of a newer kernel: dropped */
                { { .cmd = ETHTOOL_GWOL, .supported = WAKE_MAGIC | (1U << 12), .wolopts = (1U << 12) },
                  0, WAKE_MAGIC, 0 },
                /* enabled what it does not support: not believed */
                { { .cmd = ETHTOOL_GWOL, .supported = WAKE_PHY, .wolopts = WAKE_MAGIC | WAKE_PHY },
                  0, WAKE_PHY, WAKE_PHY },
                /* secureon with its password */
                { { .cmd = ETHTOOL_GWOL, .supported = WAKE_MAGIC | WAKE_MAGICSECURE,
                    .wolopts = WAKE_MAGIC | WAKE_MAGICSECURE, .sopass = { 1, 2, 3, 4, 5, 6 } },
                  0, WAKE_MAGIC | WAKE_MAGICSECURE, WAKE_MAGIC | WAKE_MAGICSECURE },
                /* not a GWOL answer */
                { { .cmd = ETHTOOL_SWOL, .supported = WAKE_MAGIC }, -EBADMSG, 0, 0 },
                { { .cmd = 0 }, -EBADMSG, 0, 0 },
        };

        for (size_t i = 0; i < ELEMENTSOF(table); i++) {
                WolInfo info = { .error = 99, .supported = 0xdead, .enabled = 0xbeef };
                int r = wol_info_from_wolinfo(&table[i].w, &info);

                assert_int_equal(r, table[i].r);
                if (r < 0) {
                        assert_int_equal(info.supported, 0xdead);
                        continue;
                }
                assert_int_equal(info.error, 0);
                assert_int_equal(info.supported, table[i].supported);
                assert_int_equal(info.enabled, table[i].enabled);
        }
}

static void test_ether_addr(void **state) {
        static const char *const good[] = { "52:54:00:12:34:56", "52-54-00-12-34-56", "AA:bb:CC:dd:EE:ff" };
        static const char *const bad[] = {
                "", "52:54:00:12:34", "52:54:00:12:34:56:78", "52:54:00:12:34:5", "52:54:00-12:34:56",
                "52.54.00.12.34.56", "5254.0012.3456", "52:54:00:12:34:5g", "52:54:00:12:34:56 ", " 52:54:00:12:34:5",
                "525400123456", "node01", "+2:54:00:12:34:56",
        };
        uint8_t a[ETHER_ADDR_LEN_BYTES], untouched[ETHER_ADDR_LEN_BYTES] = { 9, 9, 9, 9, 9, 9 };
        char buf[ETHER_ADDR_STRING_MAX];

        for (size_t i = 0; i < ELEMENTSOF(good); i++) {
                assert_int_equal(ether_addr_from_string(good[i], a), 0);
                assert_memory_equal(a, ((uint8_t[]) { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 }), i < 2 ? 6 : 0);
        }
        assert_string_equal(ether_addr_to_string(a, buf), "aa:bb:cc:dd:ee:ff");
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                memcpy(a, untouched, sizeof a);
                if (ether_addr_from_string(bad[i], a) != -EINVAL)
                        fail_msg("'%s' accepted", bad[i]);
                assert_memory_equal(a, untouched, sizeof a);
        }
        assert_int_equal(ether_addr_from_string(NULL, a), -EINVAL);

        assert_true(ether_addr_is_unicast((uint8_t[]) { 0x52, 0x54, 0, 0x12, 0x34, 0x56 }));
        assert_false(ether_addr_is_unicast((uint8_t[]) { 0, 0, 0, 0, 0, 0 }));
        assert_false(ether_addr_is_unicast((uint8_t[]) { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }));
        assert_false(ether_addr_is_unicast((uint8_t[]) { 0x01, 0x00, 0x5e, 0, 0, 1 }));
}

static void test_magic_packet(void **state) {
        const uint8_t mac[ETHER_ADDR_LEN_BYTES] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
        uint8_t p[WOL_MAGIC_PACKET_SIZE + 1];

        assert_int_equal(WOL_MAGIC_PACKET_SIZE, 102);
        memset(p, 0xa5, sizeof p);
        wol_magic_packet_build(mac, p);
        for (size_t i = 0; i < 6; i++)
                assert_int_equal(p[i], 0xff);
        for (size_t i = 0; i < 16; i++)
                assert_memory_equal(p + 6 + 6 * i, mac, 6);
        assert_int_equal(p[WOL_MAGIC_PACKET_SIZE], 0xa5);  /* nothing written beyond */
}

static void test_interface_names(void **state) {
        assert_true(net_interface_name_valid("eth0"));
        assert_true(net_interface_name_valid("enp0s31f6"));
        assert_true(net_interface_name_valid("a23456789012345"));   /* 15: IFNAMSIZ - 1 */
        assert_false(net_interface_name_valid("a234567890123456"));
        assert_false(net_interface_name_valid(""));
        assert_false(net_interface_name_valid(NULL));
        assert_false(net_interface_name_valid("."));
        assert_false(net_interface_name_valid(".."));
        assert_false(net_interface_name_valid("eth0:1"));
        assert_false(net_interface_name_valid("a/b"));
        assert_false(net_interface_name_valid("a b"));
        assert_false(net_interface_name_valid("a\n"));
}

/* The JSON hostpm-netinfo hands hostpmd, and back. */
static void test_interfaces_json(void **state) {
        _cleanup_(net_interfaces_done) NetInterfaces n = {0}, back = {0}, failed = {0}, failed_back = {0};
        json_object *o, *o2;

        assert_int_equal(net_interfaces_add(&n, "eno1", (uint8_t[]) { 0x52, 0x54, 0, 0x12, 0x34, 0x56 },
                                            &(WolInfo) { .supported = WAKE_PHY | WAKE_MAGIC, .enabled = WAKE_MAGIC }, NULL), 0);
        assert_int_equal(net_interfaces_add(&n, "veth0", (uint8_t[]) { 2, 0, 0, 0, 0, 1 }, &(WolInfo) {0}, NULL), 0);
        assert_int_equal(net_interfaces_add(&n, "eth9", (uint8_t[]) { 2, 0, 0, 0, 0, 2 }, &(WolInfo) { .error = -EPERM }, NULL), 0);

        o = net_interfaces_to_json(&n);
        assert_non_null(o);
        assert_string_equal(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN),
                            "{\"status\":\"ok\",\"interfaces\":["
                            "{\"name\":\"eno1\",\"mac\":\"52:54:00:12:34:56\",\"wake_on_lan\":{\"supported\":[\"phy\",\"magic\"],\"enabled\":[\"magic\"]}},"
                            "{\"name\":\"veth0\",\"mac\":\"02:00:00:00:00:01\",\"wake_on_lan\":{\"supported\":[],\"enabled\":[]}},"
                            "{\"name\":\"eth9\",\"mac\":\"02:00:00:00:00:02\",\"wake_on_lan\":{\"error\":\"Operation not permitted\"}}]}");
        assert_int_equal(net_interfaces_from_json(o, &back), 0);
        o2 = net_interfaces_to_json(&back);
        assert_string_equal(json_object_to_json_string(o), json_object_to_json_string(o2));
        json_object_put(o);
        json_object_put(o2);

        assert_int_equal(net_interfaces_set_error(&failed, -EACCES, NULL), 0);
        o = net_interfaces_to_json(&failed);
        assert_string_equal(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN),
                            "{\"status\":\"failed\",\"error\":\"Permission denied\"}");
        assert_int_equal(net_interfaces_from_json(o, &failed_back), 0);
        assert_true(failed_back.error < 0);
        assert_string_equal(failed_back.error_message, "Permission denied");
        json_object_put(o);

        /* what hostpmd refuses to pass on */
        static const char *const bad[] = {
                "{}", "{\"status\":\"maybe\"}", "{\"status\":\"ok\"}", "{\"status\":\"ok\",\"interfaces\":{}}",
                "{\"status\":\"ok\",\"interfaces\":[{\"name\":\"a/b\",\"mac\":\"52:54:00:12:34:56\",\"wake_on_lan\":{}}]}",
                "{\"status\":\"ok\",\"interfaces\":[{\"name\":\"eth0\",\"mac\":\"nope\",\"wake_on_lan\":{}}]}",
                "{\"status\":\"ok\",\"interfaces\":[{\"name\":\"eth0\",\"mac\":\"52:54:00:12:34:56\"}]}",
                "{\"status\":\"ok\",\"interfaces\":[{\"name\":\"eth0\",\"mac\":\"52:54:00:12:34:56\","
                "\"wake_on_lan\":{\"supported\":[\"g\"],\"enabled\":[]}}]}",
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                NetInterfaces x = {0};

                o = json_tokener_parse(bad[i]);
                assert_non_null(o);
                if (net_interfaces_from_json(o, &x) != -EBADMSG)
                        fail_msg("accepted: %s", bad[i]);
                json_object_put(o);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_modes_to_string),
                cmocka_unit_test(test_modes_from_string),
                cmocka_unit_test(test_wolinfo),
                cmocka_unit_test(test_ether_addr),
                cmocka_unit_test(test_magic_packet),
                cmocka_unit_test(test_interface_names),
                cmocka_unit_test(test_interfaces_json),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
