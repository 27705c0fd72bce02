/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <inttypes.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "capabilities-xml.h"
#include "macro.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(xmlDocPtr, xmlFreeDoc)

static const char *yes_no(bool b) {
        return b ? "yes" : "no";
}

static int set_prop(xmlNodePtr node, const char *name, const char *value) {
        return xmlNewProp(node, BAD_CAST name, BAD_CAST value) ? 0 : -ENOMEM;
}

static int set_prop_u64(xmlNodePtr node, const char *name, uint64_t value) {
        char buf[21];

        snprintf(buf, sizeof buf, "%" PRIu64, value);
        return set_prop(node, name, buf);
}

/* libvirt's block: only the three elements libvirt knows, in its order. */
static int add_power_management(xmlNodePtr host, const Capabilities *c) {
        xmlNodePtr pm;

        pm = xmlNewChild(host, NULL, BAD_CAST "power_management", NULL);
        if (!pm)
                return -ENOMEM;
        for (SleepTarget t = 0; t < _SLEEP_TARGET_MAX; t++) {
                const char *element = sleep_target_to_libvirt_element(t);

                if (element && capabilities_target_supported(c, t) &&
                    !xmlNewChild(pm, NULL, BAD_CAST element, NULL))
                        return -ENOMEM;
        }
        return 0;
}

static int add_sleep_targets(xmlNodePtr host, const Capabilities *c) {
        xmlNodePtr st;
        int r;

        st = xmlNewChild(host, NULL, BAD_CAST "sleep_targets", NULL);
        if (!st)
                return -ENOMEM;
        r = set_prop(st, "source", "logind");
        if (r < 0)
                return r;

        if (c->query_error != 0) {
                xmlNodePtr e;

                r = set_prop(st, "status", "failed");
                if (r < 0)
                        return r;
                /* xmlNewTextChild escapes the message; logind's text is not ours. */
                e = xmlNewTextChild(st, NULL, BAD_CAST "error",
                                    BAD_CAST (c->query_error_message ? c->query_error_message : strerror(-c->query_error)));
                if (!e)
                        return -ENOMEM;
                return set_prop(e, "name", c->query_error_name ? c->query_error_name : "org.freedesktop.DBus.Error.Failed");
        }

        r = set_prop(st, "status", "ok");
        if (r < 0)
                return r;
        for (SleepTarget t = 0; t < _SLEEP_TARGET_MAX; t++) {
                const TargetCapability *tc = &c->targets[t];
                xmlNodePtr n = xmlNewChild(st, NULL, BAD_CAST "target", NULL);

                if (!n)
                        return -ENOMEM;
                if (set_prop(n, "name", sleep_target_to_string(t)) < 0 ||
                    set_prop(n, "supported", yes_no(logind_answer_is_supported(tc->answer))) < 0 ||
                    set_prop(n, "blocked", yes_no(logind_answer_is_blocked(tc->answer))) < 0 ||
                    set_prop(n, "logind", tc->raw ? tc->raw : logind_answer_to_string(tc->answer)) < 0)
                        return -ENOMEM;
        }
        return 0;
}

static int add_wake_alarm(xmlNodePtr host, const RtcInfo *rtc) {
        xmlNodePtr n;

        n = xmlNewChild(host, NULL, BAD_CAST "wake_alarm", NULL);
        if (!n)
                return -ENOMEM;
        if (set_prop(n, "device", rtc->device ? rtc->device : "rtc0") < 0 ||
            set_prop(n, "present", yes_no(rtc->present)) < 0)
                return -ENOMEM;
        if (rtc->present) {
                if ((rtc->name && set_prop(n, "driver", rtc->name) < 0) ||
                    set_prop(n, "wakealarm", yes_no(rtc->has_wakealarm)) < 0 ||
                    set_prop(n, "wakeup", rtc_wakeup_to_string(rtc->wakeup)) < 0 ||
                    (rtc->alarm > 0 && set_prop_u64(n, "alarm", rtc->alarm) < 0))
                        return -ENOMEM;
        }
        return set_prop_u64(n, "max_seconds", rtc->max_seconds);
}

int capabilities_to_xml(const Capabilities *c, char **ret) {
        _cleanup_(xmlFreeDocp) xmlDocPtr doc = NULL;
        xmlNodePtr root, host;
        xmlChar *buf = NULL;
        int size = 0, r;
        char *s;

        doc = xmlNewDoc(BAD_CAST "1.0");
        if (!doc)
                return -ENOMEM;
        root = xmlNewNode(NULL, BAD_CAST "capabilities");
        if (!root)
                return -ENOMEM;
        xmlDocSetRootElement(doc, root);
        host = xmlNewChild(root, NULL, BAD_CAST "host", NULL);
        if (!host)
                return -ENOMEM;

        /* A failed query claims nothing: tools must not read "no support". */
        if (c->query_error == 0) {
                r = add_power_management(host, c);
                if (r < 0)
                        return r;
        }
        r = add_sleep_targets(host, c);
        if (r < 0)
                return r;
        r = add_wake_alarm(host, &c->rtc);
        if (r < 0)
                return r;

        xmlDocDumpFormatMemoryEnc(doc, &buf, &size, "UTF-8", /* format= */ 1);
        if (!buf)
                return -ENOMEM;
        s = strndup((const char *) buf, (size_t) size);
        xmlFree(buf);
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

static int parse_wake_alarm(xmlNodePtr n, RtcInfo *rtc) {
        _cleanup_free_ char *wakeup = NULL;
        int r;

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
        return get_prop_u64(n, "alarm", &rtc->alarm);
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
                        r = parse_wake_alarm(n, &c.rtc);
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
