/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <libxml/relaxng.h>
#include <libxml/xpath.h>

#include "capabilities-xml.h"
#include "capabilities-fixture.h"
#include "macro.h"

static xmlDocPtr parse(const char *xml) {
        xmlDocPtr doc = xmlReadMemory(xml, (int) strlen(xml), "t.xml", NULL, XML_PARSE_NONET);

        assert_non_null(doc);
        return doc;
}

/* Validates doc against a schema in the source tree's data/. */
static bool valid_against(xmlDocPtr doc, const char *schema) {
        _cleanup_free_ char *path = NULL;
        xmlRelaxNGParserCtxtPtr pctxt;
        xmlRelaxNGValidCtxtPtr vctxt;
        xmlRelaxNGPtr rng;
        int r;

        assert_true(asprintf(&path, "%s/%s", getenv("HOSTPM_SOURCE_DATA_DIR"), schema) > 0);
        pctxt = xmlRelaxNGNewParserCtxt(path);
        rng = xmlRelaxNGParse(pctxt);
        assert_non_null(rng);
        vctxt = xmlRelaxNGNewValidCtxt(rng);
        r = xmlRelaxNGValidateDoc(vctxt, doc);
        xmlRelaxNGFreeValidCtxt(vctxt);
        xmlRelaxNGFree(rng);
        xmlRelaxNGFreeParserCtxt(pctxt);
        return r == 0;
}

/* The <power_management> block alone, as libvirt's schema sees it; NULL
 * when the document has none. */
static xmlDocPtr power_management_block(xmlDocPtr doc) {
        xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
        xmlXPathObjectPtr o = xmlXPathEvalExpression(BAD_CAST "/capabilities/host/power_management", ctx);
        xmlDocPtr block = NULL;

        if (o && o->nodesetval && o->nodesetval->nodeNr == 1) {
                block = xmlNewDoc(BAD_CAST "1.0");
                xmlDocSetRootElement(block, xmlDocCopyNode(o->nodesetval->nodeTab[0], block, 1));
        }
        xmlXPathFreeObject(o);
        xmlXPathFreeContext(ctx);
        return block;
}

static void check_valid(const char *xml, bool expect_block) {
        xmlDocPtr doc = parse(xml), block;

        assert_true(valid_against(doc, "hostpm-capabilities.rng"));
        block = power_management_block(doc);
        if (expect_block) {
                assert_non_null(block);
                assert_true(valid_against(block, "libvirt-power-management.rng"));
                xmlFreeDoc(block);
        } else
                assert_null(block);
        xmlFreeDoc(doc);
}

static void test_mixed(void **state) {
        _cleanup_(capabilities_done) Capabilities c = {0};
        _cleanup_free_ char *xml = NULL;

        capabilities_fill(&c, "yes", "challenge", "na", "inhibited");
        assert_int_equal(capabilities_to_xml(&c, &xml), 0);
        assert_string_equal(xml,
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                "<capabilities>\n"
                "  <host>\n"
                "    <power_management>\n"
                "      <suspend_mem/>\n"
                "      <suspend_disk/>\n"
                "    </power_management>\n"
                "    <sleep_targets source=\"logind\" status=\"ok\">\n"
                "      <target name=\"mem\" supported=\"yes\" blocked=\"no\" logind=\"yes\"/>\n"
                "      <target name=\"disk\" supported=\"yes\" blocked=\"no\" logind=\"challenge\"/>\n"
                "      <target name=\"hybrid\" supported=\"no\" blocked=\"no\" logind=\"na\"/>\n"
                "      <target name=\"suspend-then-hibernate\" supported=\"yes\" blocked=\"yes\" logind=\"inhibited\"/>\n"
                "    </sleep_targets>\n"
                "    <wake_alarm device=\"rtc0\" present=\"yes\" driver=\"rtc_cmos\" wakealarm=\"yes\" wakeup=\"enabled\" s4_wake=\"unknown\" "
                "range_seconds=\"86399\" range_source=\"firmware\" day_alarm=\"no\" max_seconds=\"82800\"/>\n"
                "  </host>\n"
                "</capabilities>\n");
        check_valid(xml, true);
}

static void test_nothing_supported_is_an_empty_block(void **state) {
        _cleanup_(capabilities_done) Capabilities c = {0};
        _cleanup_free_ char *xml = NULL;

        capabilities_fill(&c, "no", "na", "no", "na");
        assert_int_equal(capabilities_to_xml(&c, &xml), 0);
        assert_non_null(strstr(xml, "<power_management/>"));
        check_valid(xml, true);
}

static void test_failed_query_has_no_block(void **state) {
        _cleanup_(capabilities_done) Capabilities c = {0};
        _cleanup_free_ char *xml = NULL;

        capabilities_fill(&c, "yes", "yes", "yes", "yes");
        assert_int_equal(capabilities_set_query_error(&c, -ETIMEDOUT, "org.freedesktop.DBus.Error.NoReply",
                                                      "Connection timed out <&>"), 0);
        assert_int_equal(capabilities_to_xml(&c, &xml), 0);
        assert_null(strstr(xml, "power_management"));
        /* logind's text is escaped, not trusted as markup */
        assert_non_null(strstr(xml,
                "<sleep_targets source=\"logind\" status=\"failed\">\n"
                "      <error name=\"org.freedesktop.DBus.Error.NoReply\">Connection timed out &lt;&amp;&gt;</error>\n"
                "    </sleep_targets>"));
        check_valid(xml, false);
}

static void test_unknown_answer_is_kept_raw_and_unsupported(void **state) {
        _cleanup_(capabilities_done) Capabilities c = {0};
        _cleanup_free_ char *xml = NULL;

        capabilities_fill(&c, "perhaps\"<", "yes", "no", "no");
        assert_int_equal(capabilities_to_xml(&c, &xml), 0);
        assert_non_null(strstr(xml, "<target name=\"mem\" supported=\"no\" blocked=\"no\" logind=\"perhaps&quot;&lt;\"/>"));
        assert_non_null(strstr(xml, "<power_management>\n      <suspend_disk/>\n    </power_management>"));
        check_valid(xml, true);
}

static void test_rtc_absent_and_alarm_pending(void **state) {
        _cleanup_(capabilities_done) Capabilities c = {0};
        _cleanup_free_ char *xml = NULL, *xml2 = NULL;

        capabilities_fill(&c, "yes", "yes", "yes", "yes");
        c.rtc.present = false;
        assert_int_equal(capabilities_to_xml(&c, &xml), 0);
        assert_non_null(strstr(xml, "<wake_alarm device=\"rtc0\" present=\"no\" max_seconds=\"82800\"/>"));
        check_valid(xml, true);

        c.rtc.present = true;
        c.rtc.wakeup = RTC_WAKEUP_DISABLED;
        c.rtc.alarm = 1795000000;
        assert_int_equal(capabilities_to_xml(&c, &xml2), 0);
        assert_non_null(strstr(xml2, "wakeup=\"disabled\" alarm=\"1795000000\" s4_wake=\"unknown\" "
                                    "range_seconds=\"86399\" range_source=\"firmware\" day_alarm=\"no\" "
                                    "max_seconds=\"82800\"/>"));
        check_valid(xml2, true);
}

/* The alarm range: each source, read back as sent; none for an absent
 * RTC or when not known (a document of an older hostpmd reads back as
 * not known). */
static void test_alarm_range(void **state) {
        static const RtcAlarmRange ranges[] = {
                { 2419199, RTC_RANGE_SOURCE_FIRMWARE, RTC_DAY_ALARM_YES },
                { 86399, RTC_RANGE_SOURCE_ASSUMED, RTC_DAY_ALARM_UNKNOWN },
                { 10800, RTC_RANGE_SOURCE_CONFIGURED, RTC_DAY_ALARM_NO },
        };
        static const char *const attrs[] = {
                "s4_wake=\"unknown\" range_seconds=\"2419199\" range_source=\"firmware\" day_alarm=\"yes\" ",
                "s4_wake=\"unknown\" range_seconds=\"86399\" range_source=\"assumed\" day_alarm=\"unknown\" ",
                "s4_wake=\"unknown\" range_seconds=\"10800\" range_source=\"configured\" day_alarm=\"no\" ",
        };

        for (size_t i = 0; i < ELEMENTSOF(ranges); i++) {
                _cleanup_(capabilities_done) Capabilities c = {0}, back = {0};
                _cleanup_free_ char *xml = NULL;

                capabilities_fill(&c, "yes", "yes", "yes", "yes");
                c.rtc_range = ranges[i];
                assert_int_equal(capabilities_to_xml(&c, &xml), 0);
                assert_non_null(strstr(xml, attrs[i]));
                check_valid(xml, true);
                assert_int_equal(capabilities_from_xml(xml, &back), 0);
                assert_memory_equal(&back.rtc_range, &ranges[i], sizeof ranges[i]);
        }

        _cleanup_(capabilities_done) Capabilities c = {0}, back = {0};
        _cleanup_free_ char *absent = NULL, *unknown = NULL;

        capabilities_fill(&c, "yes", "yes", "yes", "yes");
        c.rtc.present = false;
        assert_int_equal(capabilities_to_xml(&c, &absent), 0);
        assert_null(strstr(absent, "range_"));
        assert_null(strstr(absent, "day_alarm"));
        c.rtc.present = true;
        c.rtc_range = (RtcAlarmRange) {0};
        assert_int_equal(capabilities_to_xml(&c, &unknown), 0);
        assert_null(strstr(unknown, "range_"));
        check_valid(unknown, true);
        assert_int_equal(capabilities_from_xml(unknown, &back), 0);
        assert_int_equal(back.rtc_range.seconds, 0);
}

/* hostpmd sends this document; the CLI must read back exactly what was sent. */
static void test_round_trip(void **state) {
        static const char *const sets[][4] = {
                { "yes", "challenge", "na", "inhibited" },
                { "no", "no", "no", "no" },
                { "challenge-inhibitor-blocked", "inhibitor-blocked", "odd", "yes" },
        };

        for (size_t i = 0; i < ELEMENTSOF(sets); i++) {
                _cleanup_(capabilities_done) Capabilities c = {0}, back = {0};
                _cleanup_free_ char *xml = NULL, *again = NULL;

                capabilities_fill(&c, sets[i][0], sets[i][1], sets[i][2], sets[i][3]);
                c.rtc.alarm = 42;
                assert_int_equal(capabilities_to_xml(&c, &xml), 0);
                assert_int_equal(capabilities_from_xml(xml, &back), 0);
                assert_int_equal(capabilities_to_xml(&back, &again), 0);
                assert_string_equal(xml, again);
        }
}

static void test_round_trip_failed_query(void **state) {
        _cleanup_(capabilities_done) Capabilities c = {0}, back = {0};
        _cleanup_free_ char *xml = NULL, *again = NULL;

        capabilities_fill(&c, "yes", "yes", "yes", "yes");
        assert_int_equal(capabilities_set_query_error(&c, -EACCES, "org.freedesktop.DBus.Error.AccessDenied", "no"), 0);
        assert_int_equal(capabilities_to_xml(&c, &xml), 0);
        assert_int_equal(capabilities_from_xml(xml, &back), 0);
        assert_true(back.query_error < 0);
        assert_false(capabilities_target_supported(&back, SLEEP_TARGET_MEM));
        assert_int_equal(capabilities_to_xml(&back, &again), 0);
        assert_string_equal(xml, again);
}

/* What hibernation needs: valid, exact where it matters, read back the
 * same, and the problem text escaped. */
static void test_hibernation(void **state) {
        _cleanup_(capabilities_done) Capabilities c = {0}, back = {0};
        _cleanup_free_ char *xml = NULL, *again = NULL;

        capabilities_fill(&c, "yes", "yes", "yes", "yes");
        c.rtc_s4_wake = RTC_S4_WAKE_YES;
        c.hibernate_known = true;
        c.hibernate = (HibernateInfo) {
                .n_swaps = 1, .swap_total = 2093056, .swap_free = 2093056,
                .mem_in_use = 180355072, .image_size = 415875072,
                .resume_major = 254, .resume_minor = 16, .resume_present = true,
        };
        c.hibernate_problem = strdup("swap too small: <2 MiB> & more");
        assert_int_equal(capabilities_to_xml(&c, &xml), 0);
        check_valid(xml, true);
        assert_non_null(strstr(xml, "s4_wake=\"yes\""));
        assert_non_null(strstr(xml, "<hibernation possible=\"no\" swaps=\"1\" swap_total=\"2093056\" "
                                    "swap_free=\"2093056\" swap_needed=\"184549376\" image_size=\"415875072\" "
                                    "memory_in_use=\"180355072\" resume_device=\"254:16\" resume_present=\"yes\">"));
        assert_non_null(strstr(xml, "<problem>swap too small: &lt;2 MiB&gt; &amp; more</problem>"));
        assert_int_equal(capabilities_from_xml(xml, &back), 0);
        assert_true(back.hibernate_known);
        assert_int_equal(back.rtc_s4_wake, RTC_S4_WAKE_YES);
        assert_string_equal(back.hibernate_problem, "swap too small: <2 MiB> & more");
        assert_int_equal(capabilities_to_xml(&back, &again), 0);
        assert_string_equal(xml, again);

        /* possible, and nothing readable but that */
        free(c.hibernate_problem);
        c.hibernate_problem = NULL;
        c.hibernate = (HibernateInfo) { .swaps_error = -ENOENT, .resume_error = -ENOENT };
        free(xml);
        assert_int_equal(capabilities_to_xml(&c, &xml), 0);
        check_valid(xml, true);
        assert_non_null(strstr(xml, "<hibernation possible=\"yes\"/>"));
}

/* Interfaces: one with Wake-on-LAN, one without (veth), one unreadable;
 * then the whole list failed. Valid, exact, and read back the same. */
static void test_network_interfaces(void **state) {
        _cleanup_(capabilities_done) Capabilities c = {0}, back = {0}, failed = {0}, failed_back = {0};
        _cleanup_free_ char *xml = NULL, *again = NULL, *xml2 = NULL, *again2 = NULL;

        capabilities_fill(&c, "yes", "no", "no", "no");
        assert_int_equal(net_interfaces_add(&c.net, "eno1", (uint8_t[]) { 0x52, 0x54, 0, 0x12, 0x34, 0x56 },
                                            &(WolInfo) { .supported = WAKE_PHY | WAKE_UCAST | WAKE_MCAST | WAKE_BCAST |
                                                                      WAKE_MAGIC, .enabled = WAKE_MAGIC }, NULL), 0);
        assert_int_equal(net_interfaces_add(&c.net, "veth0", (uint8_t[]) { 2, 0, 0, 0, 0, 1 }, &(WolInfo) {0}, NULL), 0);
        assert_int_equal(net_interfaces_add(&c.net, "eth9", (uint8_t[]) { 2, 0, 0, 0, 0, 2 },
                                            &(WolInfo) { .error = -ENODEV }, NULL), 0);
        assert_int_equal(capabilities_to_xml(&c, &xml), 0);
        assert_non_null(strstr(xml,
                "    <network_interfaces status=\"ok\">\n"
                "      <interface name=\"eno1\" mac=\"52:54:00:12:34:56\">\n"
                "        <wake_on_lan supported=\"phy unicast multicast broadcast magic\" enabled=\"magic\"/>\n"
                "      </interface>\n"
                "      <interface name=\"veth0\" mac=\"02:00:00:00:00:01\">\n"
                "        <wake_on_lan supported=\"\" enabled=\"\"/>\n"
                "      </interface>\n"
                "      <interface name=\"eth9\" mac=\"02:00:00:00:00:02\">\n"
                "        <wake_on_lan error=\"No such device\"/>\n"
                "      </interface>\n"
                "    </network_interfaces>\n"));
        check_valid(xml, true);
        assert_int_equal(capabilities_from_xml(xml, &back), 0);
        assert_int_equal(back.net.n, 3);
        assert_int_equal(capabilities_to_xml(&back, &again), 0);
        assert_string_equal(xml, again);

        capabilities_fill(&failed, "yes", "no", "no", "no");
        assert_int_equal(net_interfaces_set_error(&failed.net, -ETIMEDOUT, "hostpm-netinfo: no answer <in> 5s"), 0);
        assert_int_equal(capabilities_to_xml(&failed, &xml2), 0);
        assert_non_null(strstr(xml2, "<network_interfaces status=\"failed\">\n"
                                     "      <error>hostpm-netinfo: no answer &lt;in&gt; 5s</error>"));
        check_valid(xml2, true);
        assert_int_equal(capabilities_from_xml(xml2, &failed_back), 0);
        assert_int_equal(capabilities_to_xml(&failed_back, &again2), 0);
        assert_string_equal(xml2, again2);

        /* not asked: no element (a host without hostpm-netinfo) */
        net_interfaces_done(&c.net);
        free(xml);
        assert_int_equal(capabilities_to_xml(&c, &xml), 0);
        assert_null(strstr(xml, "network_interfaces"));
}

static void test_garbage_is_refused(void **state) {
        static const char *const bad[] = {
                "",
                "not xml",
                "<capabilities/>",
                "<capabilities><host/></capabilities>",
                "<other><host><sleep_targets status=\"ok\"/></host></other>",
                "<capabilities><host><sleep_targets/></host></capabilities>",
                "<capabilities><host><sleep_targets status=\"ok\"><target name=\"zzz\" logind=\"yes\"/></sleep_targets></host></capabilities>",
                "<capabilities><host><sleep_targets status=\"ok\"/><wake_alarm device=\"rtc0\" present=\"maybe\"/></host></capabilities>",
                "<capabilities><host><sleep_targets status=\"ok\"/><network_interfaces/></host></capabilities>",
                "<capabilities><host><sleep_targets status=\"ok\"/><network_interfaces status=\"ok\"><interface name=\"a/b\" "
                "mac=\"52:54:00:12:34:56\"><wake_on_lan supported=\"\" enabled=\"\"/></interface></network_interfaces></host></capabilities>",
                "<capabilities><host><sleep_targets status=\"ok\"/><network_interfaces status=\"ok\"><interface name=\"eth0\" "
                "mac=\"52:54:00:12:34\"><wake_on_lan supported=\"\" enabled=\"\"/></interface></network_interfaces></host></capabilities>",
                "<capabilities><host><sleep_targets status=\"ok\"/><network_interfaces status=\"ok\"><interface name=\"eth0\" "
                "mac=\"52:54:00:12:34:56\"><wake_on_lan supported=\"g\" enabled=\"\"/></interface></network_interfaces></host></capabilities>",
                "<capabilities><host><sleep_targets status=\"ok\"/><network_interfaces status=\"ok\"><interface name=\"eth0\" "
                "mac=\"52:54:00:12:34:56\"/></network_interfaces></host></capabilities>",
                /* the alarm range: all three or none, and only the words the schema has */
                "<capabilities><host><sleep_targets status=\"ok\"/><wake_alarm device=\"rtc0\" present=\"yes\" "
                "wakealarm=\"yes\" range_seconds=\"86399\" max_seconds=\"1\"/></host></capabilities>",
                "<capabilities><host><sleep_targets status=\"ok\"/><wake_alarm device=\"rtc0\" present=\"yes\" "
                "wakealarm=\"yes\" range_seconds=\"86399\" range_source=\"bios\" day_alarm=\"no\" "
                "max_seconds=\"1\"/></host></capabilities>",
                "<capabilities><host><sleep_targets status=\"ok\"/><wake_alarm device=\"rtc0\" present=\"yes\" "
                "wakealarm=\"yes\" range_seconds=\"0\" range_source=\"firmware\" day_alarm=\"no\" "
                "max_seconds=\"1\"/></host></capabilities>",
                "<capabilities><host><sleep_targets status=\"ok\"/><wake_alarm device=\"rtc0\" present=\"yes\" "
                "wakealarm=\"yes\" range_source=\"assumed\" day_alarm=\"unknown\" max_seconds=\"1\"/></host></capabilities>",
        };

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                Capabilities c = {0};

                assert_int_equal(capabilities_from_xml(bad[i], &c), -EBADMSG);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_mixed),
                cmocka_unit_test(test_nothing_supported_is_an_empty_block),
                cmocka_unit_test(test_failed_query_has_no_block),
                cmocka_unit_test(test_unknown_answer_is_kept_raw_and_unsupported),
                cmocka_unit_test(test_rtc_absent_and_alarm_pending),
                cmocka_unit_test(test_alarm_range),
                cmocka_unit_test(test_round_trip),
                cmocka_unit_test(test_round_trip_failed_query),
                cmocka_unit_test(test_network_interfaces),
                cmocka_unit_test(test_hibernation),
                cmocka_unit_test(test_garbage_is_refused),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
