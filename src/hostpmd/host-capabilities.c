/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "capabilities-xml.h"
#include "hibernate-check.h"
#include "host-capabilities.h"
#include "log.h"
#include "manager.h"
#include "test-seam.h"

struct CapabilitiesWaiter {
        capabilities_ready_t ready;
        void *userdata;
        void (*destroy)(void *userdata);
        CapabilitiesWaiter *next;
};

bool host_capabilities_busy(Manager *m) {
        return m->capabilities_query || m->capabilities_logind || net_info_busy(m->net_info);
}

static void capabilities_free(Capabilities *c) {
        if (c)
                capabilities_done(c);
        free(c);
}

/* Completes logind's answer with what the host itself says, then hands it
 * to everyone who waited for this round trip: once both logind and
 * hostpm-netinfo have answered. */
static void capabilities_complete(Manager *m) {
        _cleanup_(capabilities_done) Capabilities c = {0};
        CapabilitiesWaiter *waiters;
        int r;

        if (!m->capabilities_logind || net_info_busy(m->net_info))
                return;
        c = *m->capabilities_logind;
        free(TAKE_PTR(m->capabilities_logind));
        waiters = TAKE_PTR(m->capabilities_waiters);

        r = rtc_read_info(rtc_sysfs_root(), m->config.rtc_device, &c.rtc);
        if (r < 0)
                log_warning("Failed to read RTC %s, reporting it absent: %s", m->config.rtc_device, STRERROR(r));
        if (!c.rtc.device)
                c.rtc.device = strdup(m->config.rtc_device);
        c.rtc.max_seconds = m->config.maximum_duration_usec / USEC_PER_SEC;
        if (hibernate_capabilities_read(&c, rtc_sysfs_root(), swap_proc_root()) < 0)
                log_oom();
        if (m->net_info && net_interfaces_copy(net_info_get(m->net_info), &c.net) < 0)
                (void) net_interfaces_set_error(&c.net, -ENOMEM, NULL);

        while (waiters) {
                CapabilitiesWaiter *w = waiters;

                waiters = w->next;
                w->ready(m, &c, w->userdata);
                free(w);
        }
        manager_touch(m);
}

/* logind's part is in: kept until the interfaces are too */
static void capabilities_query_done(const Capabilities *logind, void *userdata) {
        Manager *m = userdata;
        Capabilities *c;

        m->capabilities_query = NULL;  /* freed by the query itself after we return */
        c = calloc(1, sizeof *c);
        if (!c) {
                log_oom();
                host_capabilities_cancel_all(m);  /* nothing to answer with: as on exit */
                return;
        }
        for (size_t i = 0; i < ELEMENTSOF(c->targets); i++) {
                c->targets[i].answer = logind->targets[i].answer;
                c->targets[i].raw = logind->targets[i].raw ? strdup(logind->targets[i].raw) : NULL;
        }
        if (logind->query_error != 0)
                (void) capabilities_set_query_error(c, logind->query_error, logind->query_error_name,
                                                    logind->query_error_message);
        m->capabilities_logind = c;
        capabilities_complete(m);
}

static void net_info_done(void *userdata) {
        capabilities_complete(userdata);
}

/* Test seam, read once: lets a test of logind's silence end quickly. */
static uint64_t logind_timeout_usec(void) {
        static uint64_t timeout = 0;

        if (timeout == 0) {
                const char *e = test_seam_getenv(TEST_SEAM_LOGIND_TIMEOUT_USEC);
                unsigned long long v;

                timeout = e && sscanf(e, "%llu", &v) == 1 && v > 0 ? v : CAPABILITIES_QUERY_TIMEOUT_USEC;
        }
        return timeout;
}

int host_capabilities_wait(Manager *m, capabilities_ready_t ready, void *userdata, void (*destroy)(void *),
                           CapabilitiesWaiter **ret) {
        CapabilitiesWaiter *w;
        int r;

        w = calloc(1, sizeof *w);
        if (!w)
                return -ENOMEM;
        *w = (CapabilitiesWaiter) {
                .ready = ready,
                .userdata = userdata,
                .destroy = destroy,
                .next = m->capabilities_waiters,
        };

        /* Callers that arrive while a query is in flight share its answer:
         * logind is asked no more often than it must be. The interfaces
         * are asked at the same time, unless their last answer is fresh. */
        if (!m->capabilities_query && !m->capabilities_logind) {
                if (!m->net_info) {
                        r = net_info_new(m->event, &m->net_info);
                        if (r < 0) {
                                free(w);
                                return r;
                        }
                }
                r = capabilities_query_logind_async(m->bus, logind_timeout_usec(),
                                                    capabilities_query_done, m, &m->capabilities_query);
                if (r < 0) {
                        free(w);
                        return r;
                }
                if (!net_info_busy(m->net_info)) {
                        r = net_info_refresh(m->net_info, net_info_done, m);
                        if (r < 0)
                                log_warning("Failed to ask hostpm-netinfo, reporting no interfaces: %s", STRERROR(r));
                }
        }
        m->capabilities_waiters = w;
        if (ret)
                *ret = w;
        return 0;
}

void host_capabilities_withdraw(Manager *m, CapabilitiesWaiter *w) {
        for (CapabilitiesWaiter **p = &m->capabilities_waiters; *p; p = &(*p)->next)
                if (*p == w) {
                        *p = w->next;
                        free(w);
                        return;
                }
}

void host_capabilities_cancel_all(Manager *m) {
        while (m->capabilities_waiters) {
                CapabilitiesWaiter *w = m->capabilities_waiters;

                m->capabilities_waiters = w->next;
                if (w->destroy)
                        w->destroy(w->userdata);
                free(w);
        }
        if (m->capabilities_query) {
                capabilities_query_cancel(m->capabilities_query);
                m->capabilities_query = NULL;
        }
        capabilities_free(TAKE_PTR(m->capabilities_logind));
        m->net_info = net_info_free(m->net_info);
}

static void reply_capabilities(Manager *m, const Capabilities *c, void *userdata) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *message = userdata;
        _cleanup_free_ char *xml = NULL;
        int r;

        r = capabilities_to_xml(c, &xml);
        if (r < 0)
                r = sd_bus_reply_method_errnof(message, r, "Failed to format the capabilities: %s", STRERROR(r));
        else
                r = sd_bus_reply_method_return(message, "s", xml);
        if (r < 0)
                log_debug("Failed to reply to GetCapabilities(): %s", STRERROR(r));
}

static void message_unref(void *message) {
        sd_bus_message_unref(message);
}

int method_get_capabilities(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        int r;

        r = host_capabilities_wait(m, reply_capabilities, sd_bus_message_ref(message), message_unref, NULL);
        if (r < 0) {
                sd_bus_message_unref(message);
                return r;
        }
        return 1;
}
