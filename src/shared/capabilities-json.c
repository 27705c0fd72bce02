/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <json-c/json.h>

#include "capabilities-json.h"
#include "hibernate-check.h"
#include "json-util.h"
#include "macro.h"



static json_object *power_management_to_json(const Capabilities *c) {
        json_object *a;

        a = json_object_new_array();
        if (!a)
                return NULL;
        for (SleepTarget t = 0; t < _SLEEP_TARGET_MAX; t++) {
                const char *element = sleep_target_to_libvirt_element(t);

                if (element && capabilities_target_supported(c, t) &&
                    json_object_array_add(a, json_object_new_string(element)) < 0) {
                        json_object_put(a);
                        return NULL;
                }
        }
        return a;
}

static json_object *sleep_targets_to_json(const Capabilities *c) {
        _cleanup_(json_object_putp) json_object *o = json_object_new_object();
        json_object *targets;

        if (!o ||
            json_add(o, "source", json_object_new_string("logind")) < 0 ||
            json_add(o, "status", json_object_new_string(c->query_error != 0 ? "failed" : "ok")) < 0)
                return NULL;

        if (c->query_error != 0) {
                json_object *e = json_object_new_object();

                if (json_add(o, "error", e) < 0 ||
                    json_add(e, "name", json_object_new_string(c->query_error_name ? c->query_error_name : "org.freedesktop.DBus.Error.Failed")) < 0 ||
                    json_add(e, "message", json_object_new_string(c->query_error_message ? c->query_error_message : strerror(-c->query_error))) < 0)
                        return NULL;
                return TAKE_PTR(o);
        }

        targets = json_object_new_array();
        if (json_add(o, "targets", targets) < 0)
                return NULL;
        for (SleepTarget t = 0; t < _SLEEP_TARGET_MAX; t++) {
                const TargetCapability *tc = &c->targets[t];
                json_object *n = json_object_new_object();

                if (!n || json_object_array_add(targets, n) < 0) {
                        json_object_put(n);
                        return NULL;
                }
                if (json_add(n, "name", json_object_new_string(sleep_target_to_string(t))) < 0 ||
                    json_add(n, "supported", json_object_new_boolean(logind_answer_is_supported(tc->answer))) < 0 ||
                    json_add(n, "blocked", json_object_new_boolean(logind_answer_is_blocked(tc->answer))) < 0 ||
                    json_add(n, "logind", json_object_new_string(tc->raw ? tc->raw : logind_answer_to_string(tc->answer))) < 0)
                        return NULL;
        }
        return TAKE_PTR(o);
}

static json_object *wake_alarm_to_json(const RtcInfo *rtc, RtcS4Wake s4_wake, const RtcAlarmRange *range) {
        _cleanup_(json_object_putp) json_object *o = json_object_new_object();

        if (!o ||
            json_add(o, "device", json_object_new_string(rtc->device ? rtc->device : "rtc0")) < 0 ||
            json_add(o, "present", json_object_new_boolean(rtc->present)) < 0)
                return NULL;
        if (rtc->present) {
                if ((rtc->name && json_add(o, "driver", json_object_new_string(rtc->name)) < 0) ||
                    json_add(o, "wakealarm", json_object_new_boolean(rtc->has_wakealarm)) < 0 ||
                    json_add(o, "wakeup", json_object_new_string(rtc_wakeup_to_string(rtc->wakeup))) < 0 ||
                    (rtc->alarm > 0 && json_add(o, "alarm", json_object_new_uint64(rtc->alarm)) < 0) ||
                    json_add(o, "s4_wake", json_object_new_string(rtc_s4_wake_to_string(s4_wake))) < 0)
                        return NULL;
                if (range->seconds > 0 &&
                    (json_add(o, "range_seconds", json_object_new_uint64(range->seconds)) < 0 ||
                     json_add(o, "range_source", json_object_new_string(rtc_range_source_to_string(range->source))) < 0 ||
                     json_add(o, "day_alarm", json_object_new_string(rtc_day_alarm_to_string(range->day_alarm))) < 0))
                        return NULL;
        }
        if (json_add(o, "max_seconds", json_object_new_uint64(rtc->max_seconds)) < 0)
                return NULL;
        return TAKE_PTR(o);
}

/* As in the XML: what disk, hybrid and suspend-then-hibernate need. */
static json_object *hibernation_to_json(const Capabilities *c) {
        _cleanup_(json_object_putp) json_object *o = json_object_new_object();
        const HibernateInfo *h = &c->hibernate;
        char dev[32];

        if (!o ||
            json_add(o, "possible", json_object_new_boolean(!c->hibernate_problem)) < 0)
                return NULL;
        if (h->swaps_error == 0 &&
            (json_add(o, "swaps", json_object_new_uint64(h->n_swaps)) < 0 ||
             json_add(o, "swap_total", json_object_new_uint64(h->swap_total)) < 0 ||
             json_add(o, "swap_free", json_object_new_uint64(h->swap_free)) < 0))
                return NULL;
        if ((hibernate_swap_needed(h) > 0 &&
             json_add(o, "swap_needed", json_object_new_uint64(hibernate_swap_needed(h))) < 0) ||
            (h->image_size > 0 && json_add(o, "image_size", json_object_new_uint64(h->image_size)) < 0) ||
            (h->mem_in_use > 0 && json_add(o, "memory_in_use", json_object_new_uint64(h->mem_in_use)) < 0))
                return NULL;
        if (h->resume_error == 0) {
                snprintf(dev, sizeof dev, "%u:%u", h->resume_major, h->resume_minor);
                if (json_add(o, "resume_device", json_object_new_string(dev)) < 0 ||
                    json_add(o, "resume_present", json_object_new_boolean(h->resume_present)) < 0)
                        return NULL;
        }
        if (c->hibernate_problem && json_add(o, "problem", json_object_new_string(c->hibernate_problem)) < 0)
                return NULL;
        return TAKE_PTR(o);
}

int capabilities_to_json(const Capabilities *c, char **ret) {
        _cleanup_(json_object_putp) json_object *root = json_object_new_object();
        const char *s;
        char *copy;

        if (!root)
                return -ENOMEM;

        if (c->query_error != 0) {
                if (json_object_object_add(root, "power_management", NULL) < 0)
                        return -ENOMEM;
        } else if (json_add(root, "power_management", power_management_to_json(c)) < 0)
                return -ENOMEM;

        if (json_add(root, "sleep_targets", sleep_targets_to_json(c)) < 0 ||
            json_add(root, "wake_alarm", wake_alarm_to_json(&c->rtc, c->rtc_s4_wake, &c->rtc_range)) < 0)
                return -ENOMEM;
        if (c->hibernate_known && json_add(root, "hibernation", hibernation_to_json(c)) < 0)
                return -ENOMEM;
        if (c->net.asked && json_add(root, "network_interfaces", net_interfaces_to_json(&c->net)) < 0)
                return -ENOMEM;

        s = json_object_to_json_string_ext(root, JSON_FORMAT_PRETTY);
        if (!s)
                return -ENOMEM;
        copy = strdup(s);
        if (!copy)
                return -ENOMEM;
        *ret = copy;
        return 0;
}
