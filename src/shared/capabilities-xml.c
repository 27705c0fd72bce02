/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlwriter.h>

#include "capabilities-xml.h"
#include "hibernate-check.h"
#include "macro.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(xmlDocPtr, xmlFreeDoc)


static const char *yes_no(bool b) {
        return b ? "yes" : "no";
}

/* Rendering uses libxml2's writer: it escapes like the tree API, and
 * touches about a quarter less of libxml2 than building a tree and dumping
 * it, which is most of what a resident hostpmd costs (bench/). Every writer
 * call returns < 0 on failure; they are chained, then checked once. */

typedef struct Writer {
        xmlTextWriterPtr w;
        int r;
} Writer;

static void start(Writer *x, const char *element) {
        if (x->r >= 0)
                x->r = xmlTextWriterStartElement(x->w, BAD_CAST element);
}

static void end(Writer *x) {
        if (x->r >= 0)
                x->r = xmlTextWriterEndElement(x->w);
}

static void attr(Writer *x, const char *name, const char *value) {
        if (x->r >= 0)
                x->r = xmlTextWriterWriteAttribute(x->w, BAD_CAST name, BAD_CAST value);
}

static void attr_u64(Writer *x, const char *name, uint64_t value) {
        char buf[21];

        snprintf(buf, sizeof buf, "%" PRIu64, value);
        attr(x, name, buf);
}

static void text(Writer *x, const char *value) {
        if (x->r >= 0)
                x->r = xmlTextWriterWriteString(x->w, BAD_CAST value);
}

/* libvirt's block: only the three elements libvirt knows, in its order. */
static void write_power_management(Writer *x, const Capabilities *c) {
        start(x, "power_management");
        for (SleepTarget t = 0; t < _SLEEP_TARGET_MAX; t++) {
                const char *element = sleep_target_to_libvirt_element(t);

                if (element && capabilities_target_supported(c, t)) {
                        start(x, element);
                        end(x);
                }
        }
        end(x);
}

static void write_sleep_targets(Writer *x, const Capabilities *c) {
        start(x, "sleep_targets");
        attr(x, "source", "logind");

        if (c->query_error != 0) {
                attr(x, "status", "failed");
                start(x, "error");
                attr(x, "name", c->query_error_name ? c->query_error_name : "org.freedesktop.DBus.Error.Failed");
                /* escaped by the writer: logind's text is not ours */
                text(x, c->query_error_message ? c->query_error_message : strerror(-c->query_error));
                end(x);
        } else {
                attr(x, "status", "ok");
                for (SleepTarget t = 0; t < _SLEEP_TARGET_MAX; t++) {
                        const TargetCapability *tc = &c->targets[t];

                        start(x, "target");
                        attr(x, "name", sleep_target_to_string(t));
                        attr(x, "supported", yes_no(logind_answer_is_supported(tc->answer)));
                        attr(x, "blocked", yes_no(logind_answer_is_blocked(tc->answer)));
                        attr(x, "logind", tc->raw ? tc->raw : logind_answer_to_string(tc->answer));
                        end(x);
                }
        }
        end(x);
}

static void write_wake_alarm(Writer *x, const RtcInfo *rtc, RtcS4Wake s4_wake, const RtcAlarmRange *range) {
        start(x, "wake_alarm");
        attr(x, "device", rtc->device ? rtc->device : "rtc0");
        attr(x, "present", yes_no(rtc->present));
        if (rtc->present) {
                if (rtc->name)
                        attr(x, "driver", rtc->name);
                attr(x, "wakealarm", yes_no(rtc->has_wakealarm));
                attr(x, "wakeup", rtc_wakeup_to_string(rtc->wakeup));
                if (rtc->alarm > 0)
                        attr_u64(x, "alarm", rtc->alarm);
                attr(x, "s4_wake", rtc_s4_wake_to_string(s4_wake));
                if (range->seconds > 0) {
                        attr_u64(x, "range_seconds", range->seconds);
                        attr(x, "range_source", rtc_range_source_to_string(range->source));
                        attr(x, "day_alarm", rtc_day_alarm_to_string(range->day_alarm));
                }
        }
        attr_u64(x, "max_seconds", rtc->max_seconds);
        end(x);
}

/* What disk, hybrid and suspend-then-hibernate need (hibernate-check.h). */
static void write_hibernation(Writer *x, const Capabilities *c) {
        const HibernateInfo *h = &c->hibernate;
        char dev[32];

        if (!c->hibernate_known)
                return;
        start(x, "hibernation");
        attr(x, "possible", yes_no(!c->hibernate_problem));
        if (h->swaps_error == 0) {
                attr_u64(x, "swaps", h->n_swaps);
                attr_u64(x, "swap_total", h->swap_total);
                attr_u64(x, "swap_free", h->swap_free);
        }
        if (hibernate_swap_needed(h) > 0)
                attr_u64(x, "swap_needed", hibernate_swap_needed(h));
        if (h->image_size > 0)
                attr_u64(x, "image_size", h->image_size);
        if (h->mem_in_use > 0)
                attr_u64(x, "memory_in_use", h->mem_in_use);
        if (h->resume_error == 0) {
                snprintf(dev, sizeof dev, "%u:%u", h->resume_major, h->resume_minor);
                attr(x, "resume_device", dev);
                attr(x, "resume_present", yes_no(h->resume_present));
        }
        if (c->hibernate_problem) {
                start(x, "problem");
                text(x, c->hibernate_problem);
                end(x);
        }
        end(x);
}

/* Only when someone asked: without hostpm-netinfo, nothing is claimed. */
static void write_network_interfaces(Writer *x, const NetInterfaces *n) {
        if (!n->asked)
                return;
        start(x, "network_interfaces");
        attr(x, "status", n->error < 0 ? "failed" : "ok");
        if (n->error < 0) {
                start(x, "error");
                text(x, n->error_message ? n->error_message : strerror(-n->error));
                end(x);
        }
        for (size_t i = 0; i < n->n; i++) {
                const NetInterface *ni = &n->list[i];
                char mac[ETHER_ADDR_STRING_MAX], modes[WOL_MODES_STRING_MAX];

                start(x, "interface");
                attr(x, "name", ni->name);
                attr(x, "mac", ether_addr_to_string(ni->mac, mac));
                start(x, "wake_on_lan");
                if (ni->wol.error < 0)
                        attr(x, "error", ni->wol_error ? ni->wol_error : strerror(-ni->wol.error));
                else {
                        /* empty lists for a driver without Wake-on-LAN */
                        attr(x, "supported", wol_modes_to_string(ni->wol.supported, modes));
                        attr(x, "enabled", wol_modes_to_string(ni->wol.enabled, modes));
                }
                end(x);
                end(x);
        }
        end(x);
}

int capabilities_to_xml(const Capabilities *c, char **ret) {
        xmlBufferPtr buf;
        Writer x = {0};
        char *s = NULL;

        buf = xmlBufferCreate();
        if (!buf)
                return -ENOMEM;
        x.w = xmlNewTextWriterMemory(buf, 0);
        if (!x.w) {
                xmlBufferFree(buf);
                return -ENOMEM;
        }
        x.r = xmlTextWriterSetIndent(x.w, 1);
        if (x.r >= 0)
                x.r = xmlTextWriterSetIndentString(x.w, BAD_CAST "  ");
        if (x.r >= 0)
                x.r = xmlTextWriterStartDocument(x.w, "1.0", "UTF-8", NULL);
        start(&x, "capabilities");
        start(&x, "host");
        /* A failed query claims nothing: tools must not read "no support". */
        if (c->query_error == 0)
                write_power_management(&x, c);
        write_sleep_targets(&x, c);
        write_wake_alarm(&x, &c->rtc, c->rtc_s4_wake, &c->rtc_range);
        write_hibernation(&x, c);
        write_network_interfaces(&x, &c->net);
        if (x.r >= 0)
                x.r = xmlTextWriterEndDocument(x.w);
        xmlFreeTextWriter(x.w);  /* flushes into buf */

        if (x.r >= 0)
                s = strdup((const char *) xmlBufferContent(buf));
        xmlBufferFree(buf);
        if (x.r < 0)
                return -ENOMEM;  /* the writer fails only when allocations do */
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}

/* Parsing back. Only what capabilities_to_xml() writes is accepted. */

static char *get_prop(xmlNodePtr n, const char *name) {
        xmlChar *v = xmlGetProp(n, BAD_CAST name);
        char *s;

        if (!v)
                return NULL;
        s = strdup((const char *) v);
        xmlFree(v);
        return s;
}

static int get_prop_bool(xmlNodePtr n, const char *name, bool *ret) {
        _cleanup_free_ char *v = get_prop(n, name);

        if (!v)
                return -EBADMSG;
        if (streq(v, "yes"))
                *ret = true;
        else if (streq(v, "no"))
                *ret = false;
        else
                return -EBADMSG;
        return 0;
}

static int get_prop_u64(xmlNodePtr n, const char *name, uint64_t *ret) {
        _cleanup_free_ char *v = get_prop(n, name);
        unsigned long long u;
        char *end;

        if (!v)
                return 0;  /* optional: keep the default */
        errno = 0;
        u = strtoull(v, &end, 10);
        if (errno != 0 || end == v || *end != '\0')
                return -EBADMSG;
        *ret = u;
        return 0;
}

static bool node_is(xmlNodePtr n, const char *name) {
        return n->type == XML_ELEMENT_NODE && xmlStrEqual(n->name, BAD_CAST name);
}

static int parse_sleep_targets(xmlNodePtr st, Capabilities *c) {
        _cleanup_free_ char *status = get_prop(st, "status");

        if (!status)
                return -EBADMSG;

        if (streq(status, "failed")) {
                for (xmlNodePtr e = st->children; e; e = e->next)
                        if (node_is(e, "error")) {
                                _cleanup_free_ char *name = get_prop(e, "name");
                                xmlChar *text = xmlNodeGetContent(e);
                                int r;

                                r = capabilities_set_query_error(c, -EIO, name, (const char *) text);
                                xmlFree(text);
                                return r;
                        }
                return capabilities_set_query_error(c, -EIO, NULL, NULL);
        }
        if (!streq(status, "ok"))
                return -EBADMSG;

        for (xmlNodePtr n = st->children; n; n = n->next) {
                _cleanup_free_ char *name = NULL, *raw = NULL;
                SleepTarget t;

                if (!node_is(n, "target"))
                        continue;
                name = get_prop(n, "name");
                raw = get_prop(n, "logind");
                t = sleep_target_from_string(name);
                if (t < 0 || !raw)
                        return -EBADMSG;
                free(c->targets[t].raw);
                c->targets[t].answer = logind_answer_from_string(raw);
                c->targets[t].raw = TAKE_PTR(raw);
        }
        return 0;
}

/* range_seconds, range_source, day_alarm: all three or none (a document
 * of an older hostpmd) */
static int parse_alarm_range(xmlNodePtr n, RtcAlarmRange *ret) {
        _cleanup_free_ char *source = get_prop(n, "range_source"), *day = get_prop(n, "day_alarm");
        uint64_t seconds = 0;
        int r;

        r = get_prop_u64(n, "range_seconds", &seconds);
        if (r < 0)
                return r;
        if (seconds == 0 && !source && !day) {
                *ret = (RtcAlarmRange) {0};
                return 0;
        }
        if (seconds == 0 || rtc_range_source_from_string(source) < 0 || !day)
                return -EBADMSG;
        *ret = (RtcAlarmRange) {
                .seconds = seconds,
                .source = rtc_range_source_from_string(source),
                .day_alarm = rtc_day_alarm_from_string(day),
        };
        return 0;
}

static int parse_wake_alarm(xmlNodePtr n, RtcInfo *rtc, RtcS4Wake *s4_wake, RtcAlarmRange *range) {
        _cleanup_free_ char *wakeup = NULL, *s4 = NULL;
        int r;

        /* a repeated <wake_alarm> replaces the earlier one, as a repeated
         * <target> does, instead of leaking its strings */
        rtc_info_done(rtc);
        *range = (RtcAlarmRange) {0};
        rtc->device = get_prop(n, "device");
        if (!rtc->device)
                return -EBADMSG;
        r = get_prop_bool(n, "present", &rtc->present);
        if (r < 0)
                return r;
        r = get_prop_u64(n, "max_seconds", &rtc->max_seconds);
        if (r < 0)
                return r;
        if (!rtc->present)
                return 0;

        rtc->name = get_prop(n, "driver");
        r = get_prop_bool(n, "wakealarm", &rtc->has_wakealarm);
        if (r < 0)
                return r;
        wakeup = get_prop(n, "wakeup");
        rtc->wakeup = streq_ptr(wakeup, "enabled") ? RTC_WAKEUP_ENABLED :
                      streq_ptr(wakeup, "disabled") ? RTC_WAKEUP_DISABLED : RTC_WAKEUP_UNKNOWN;
        s4 = get_prop(n, "s4_wake");
        *s4_wake = rtc_s4_wake_from_string(s4);
        r = parse_alarm_range(n, range);
        if (r < 0)
                return r;
        return get_prop_u64(n, "alarm", &rtc->alarm);
}

static int parse_hibernation(xmlNodePtr n, Capabilities *c) {
        HibernateInfo h = { .swaps_error = -ENODATA, .resume_error = -ENODATA };
        _cleanup_free_ char *swaps = get_prop(n, "swaps"), *dev = get_prop(n, "resume_device");
        uint64_t needed = 0, v = 0;
        bool possible;
        int r;

        r = get_prop_bool(n, "possible", &possible);
        if (r < 0)
                return r;
        if (swaps) {
                h.swaps_error = 0;
                r = get_prop_u64(n, "swaps", &v);
                if (r >= 0)
                        r = get_prop_u64(n, "swap_total", &h.swap_total);
                if (r >= 0)
                        r = get_prop_u64(n, "swap_free", &h.swap_free);
                if (r < 0 || v > UINT_MAX)
                        return -EBADMSG;
                h.n_swaps = (unsigned) v;
        }
        r = get_prop_u64(n, "swap_needed", &needed);
        if (r >= 0)
                r = get_prop_u64(n, "image_size", &h.image_size);
        if (r >= 0)
                r = get_prop_u64(n, "memory_in_use", &h.mem_in_use);
        if (r < 0)
                return r;
        if (dev) {
                if (sscanf(dev, "%u:%u", &h.resume_major, &h.resume_minor) != 2)
                        return -EBADMSG;
                h.resume_error = 0;
                r = get_prop_bool(n, "resume_present", &h.resume_present);
                if (r < 0)
                        return r;
        }
        free(c->hibernate_problem);
        c->hibernate_problem = NULL;
        if (!possible) {
                xmlChar *t = NULL;

                for (xmlNodePtr e = n->children; e; e = e->next)
                        if (node_is(e, "problem"))
                                t = xmlNodeGetContent(e);
                c->hibernate_problem = strdup(t ? (const char *) t : "not possible");
                xmlFree(t);
                if (!c->hibernate_problem)
                        return -ENOMEM;
        }
        c->hibernate = h;
        c->hibernate_known = true;
        return 0;
}

static int parse_network_interfaces(xmlNodePtr n, NetInterfaces *ret) {
        _cleanup_(net_interfaces_done) NetInterfaces l = { .asked = true };
        _cleanup_free_ char *status = get_prop(n, "status");

        if (streq_ptr(status, "failed")) {
                for (xmlNodePtr e = n->children; e; e = e->next)
                        if (node_is(e, "error")) {
                                xmlChar *t = xmlNodeGetContent(e);
                                int r = net_interfaces_set_error(&l, -EIO, (const char *) t);

                                xmlFree(t);
                                if (r < 0)
                                        return r;
                        }
                if (l.error == 0 && net_interfaces_set_error(&l, -EIO, NULL) < 0)
                        return -ENOMEM;
        } else if (!streq_ptr(status, "ok"))
                return -EBADMSG;

        for (xmlNodePtr i = n->children; l.error == 0 && i; i = i->next) {
                _cleanup_free_ char *name = NULL, *mac_text = NULL, *supported = NULL, *enabled = NULL, *error = NULL;
                uint8_t mac[ETHER_ADDR_LEN_BYTES];
                WolInfo wol = {0};
                xmlNodePtr w = NULL;

                if (!node_is(i, "interface"))
                        continue;
                name = get_prop(i, "name");
                mac_text = get_prop(i, "mac");
                for (xmlNodePtr e = i->children; e; e = e->next)
                        if (node_is(e, "wake_on_lan"))
                                w = e;
                if (!net_interface_name_valid(name) || ether_addr_from_string(mac_text, mac) < 0 || !w)
                        return -EBADMSG;
                supported = get_prop(w, "supported");
                enabled = get_prop(w, "enabled");
                error = get_prop(w, "error");
                if (supported && enabled) {
                        if (wol_modes_from_string(supported, &wol.supported) < 0 ||
                            wol_modes_from_string(enabled, &wol.enabled) < 0)
                                return -EBADMSG;
                } else if (error)
                        wol.error = -EIO;
                else
                        return -EBADMSG;
                if (net_interfaces_add(&l, name, mac, &wol, error) < 0)
                        return -ENOMEM;
        }
        net_interfaces_done(ret);  /* a repeated element replaces the earlier one */
        *ret = l;
        l = (NetInterfaces) {0};
        return 0;
}

int capabilities_from_xml(const char *xml, Capabilities *ret) {
        _cleanup_(xmlFreeDocp) xmlDocPtr doc = NULL;
        _cleanup_(capabilities_done) Capabilities c = {0};
        xmlNodePtr root, host = NULL;
        bool have_targets = false;
        int r;

        doc = xmlReadMemory(xml, (int) strlen(xml), "capabilities.xml", NULL,
                            XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
        if (!doc)
                return -EBADMSG;
        root = xmlDocGetRootElement(doc);
        if (!root || !node_is(root, "capabilities"))
                return -EBADMSG;
        for (xmlNodePtr n = root->children; n; n = n->next)
                if (node_is(n, "host"))
                        host = n;
        if (!host)
                return -EBADMSG;

        for (xmlNodePtr n = host->children; n; n = n->next) {
                if (node_is(n, "sleep_targets")) {
                        r = parse_sleep_targets(n, &c);
                        have_targets = true;
                } else if (node_is(n, "wake_alarm"))
                        r = parse_wake_alarm(n, &c.rtc, &c.rtc_s4_wake, &c.rtc_range);
                else if (node_is(n, "hibernation"))
                        r = parse_hibernation(n, &c);
                else if (node_is(n, "network_interfaces"))
                        r = parse_network_interfaces(n, &c.net);
                else
                        continue;
                if (r < 0)
                        return r;
        }
        if (!have_targets)
                return -EBADMSG;

        *ret = c;
        c = (Capabilities) {0};
        return 0;
}
