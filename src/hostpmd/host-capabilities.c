/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <inttypes.h>

#include "hibernate-check.h"
#include "host-capabilities.h"
#include "log.h"
#include "logind-capabilities.h"
#include "net-info.h"

struct CapabilitiesWaiter {
        capabilities_ready_t ready;
        void *userdata;
        void (*destroy)(void *userdata);
        CapabilitiesWaiter *next;
};

struct HostCapabilities {
        sd_bus *bus;
        sd_event *event;
        const Config *config;
        const char *sysfs_root;

        CapabilitiesWaiter *waiters;   /* for the round out */

        /* The round out: how many sources have yet to answer, and what
         * those that did said. A round ends when the last one answers. */
        unsigned n_asking;
        LogindQuery *logind;
        NetInfo *net_info;             /* kept between rounds: it keeps its answer a few seconds */
        Capabilities answer;
};

int host_capabilities_new(sd_bus *bus, sd_event *event, const Config *config, const char *sysfs_root,
                          HostCapabilities **ret) {
        HostCapabilities *h;

        h = calloc(1, sizeof *h);
        if (!h)
                return -ENOMEM;
        *h = (HostCapabilities) {
                .bus = sd_bus_ref(bus),
                .event = sd_event_ref(event),
                .config = config,
                .sysfs_root = sysfs_root,
        };
        *ret = h;
        return 0;
}

static void waiters_drop(CapabilitiesWaiter *w) {
        while (w) {
                CapabilitiesWaiter *next = w->next;

                if (w->destroy)
                        w->destroy(w->userdata);
                free(w);
                w = next;
        }
}

HostCapabilities *host_capabilities_free(HostCapabilities *h) {
        if (!h)
                return NULL;
        waiters_drop(TAKE_PTR(h->waiters));
        logind_query_cancel(h->logind);
        net_info_free(h->net_info);
        capabilities_done(&h->answer);
        sd_event_unref(h->event);
        sd_bus_unref(h->bus);
        free(h);
        return NULL;
}

bool host_capabilities_busy(const HostCapabilities *h) {
        return h && (h->waiters || h->n_asking > 0);
}

/* What the host says right away, read as the answer is handed out: a new
 * fact of this kind is one more line here. */
static void add_local_facts(HostCapabilities *h, Capabilities *c) {
        int r;

        r = rtc_read_info(h->sysfs_root, h->config->rtc_device, &c->rtc);
        if (r < 0)
                log_warning("Failed to read RTC %s, reporting it absent: %s", h->config->rtc_device, STRERROR(r));
        if (!c->rtc.device)
                c->rtc.device = strdup(h->config->rtc_device);
        c->rtc.max_seconds = h->config->maximum_duration_usec / USEC_PER_SEC;
        if (c->rtc.present) {
                RtcAlarmRange detected;

                r = rtc_alarm_range_read(h->sysfs_root, c->rtc.name, &detected);
                if (r < 0)
                        log_debug("The alarm range of %s (%s) is not known, assuming %" PRIu64 " s: %s",
                                  c->rtc.device, c->rtc.name ? c->rtc.name : "driver unknown", detected.seconds, STRERROR(r));
                c->rtc_range = rtc_alarm_range_resolve(h->config, &detected);
        }
        if (hibernate_capabilities_read(c, h->sysfs_root, swap_proc_root()) < 0)
                log_oom();
}

/* The last source answered: complete the answer and hand it to everyone
 * who waited for this round. A waiter may start the next round. */
static void round_complete(HostCapabilities *h) {
        _cleanup_(capabilities_done) Capabilities c = h->answer;
        CapabilitiesWaiter *waiters = TAKE_PTR(h->waiters);

        h->answer = (Capabilities) {0};
        if (net_interfaces_copy(net_info_get(h->net_info), &c.net) < 0)
                (void) net_interfaces_set_error(&c.net, -ENOMEM, NULL);
        add_local_facts(h, &c);

        while (waiters) {
                CapabilitiesWaiter *w = waiters;

                waiters = w->next;
                w->ready(&c, w->userdata);
                free(w);
        }
}

static void source_answered(HostCapabilities *h) {
        if (h->n_asking > 0 && --h->n_asking == 0)
                round_complete(h);
}

static void logind_answered(const Capabilities *logind, void *userdata) {
        HostCapabilities *h = userdata;
        Capabilities *c = &h->answer;

        h->logind = NULL;  /* frees itself after we return */
        for (size_t i = 0; i < ELEMENTSOF(c->targets); i++) {
                c->targets[i].answer = logind->targets[i].answer;
                c->targets[i].raw = logind->targets[i].raw ? strdup(logind->targets[i].raw) : NULL;
        }
        if (logind->query_error != 0 &&
            capabilities_set_query_error(c, logind->query_error, logind->query_error_name,
                                         logind->query_error_message) < 0)
                c->query_error = logind->query_error;  /* the reason is lost, the failure is not */
        source_answered(h);
}

static void net_info_answered(void *userdata) {
        source_answered(userdata);
}

/* Asks every source at once. The interfaces are not asked again while
 * their last answer is fresh (net-info.h). */
static int round_start(HostCapabilities *h) {
        int r;

        if (!h->net_info) {
                r = net_info_new(h->event, &h->net_info);
                if (r < 0)
                        return r;
        }
        r = logind_query_async(h->bus, logind_capabilities_timeout_usec(), logind_answered, h, &h->logind);
        if (r < 0)
                return r;
        h->n_asking = 1;

        r = net_info_refresh(h->net_info, net_info_answered, h);
        if (r < 0)
                log_warning("Failed to ask hostpm-netinfo, reporting no interfaces: %s", STRERROR(r));
        else if (r > 0)
                h->n_asking++;
        return 0;
}

int host_capabilities_wait(HostCapabilities *h, capabilities_ready_t ready, void *userdata,
                           void (*destroy)(void *userdata), CapabilitiesWaiter **ret) {
        CapabilitiesWaiter *w;
        int r;

        w = calloc(1, sizeof *w);
        if (!w)
                return -ENOMEM;

        /* Callers that arrive while a round is out share its answer:
         * logind is asked no more often than it must be. */
        if (h->n_asking == 0) {
                r = round_start(h);
                if (r < 0) {
                        free(w);
                        return r;
                }
        }
        *w = (CapabilitiesWaiter) {
                .ready = ready,
                .userdata = userdata,
                .destroy = destroy,
                .next = h->waiters,
        };
        h->waiters = w;
        if (ret)
                *ret = w;
        return 0;
}

void host_capabilities_withdraw(HostCapabilities *h, CapabilitiesWaiter *w) {
        for (CapabilitiesWaiter **p = &h->waiters; *p; p = &(*p)->next)
                if (*p == w) {
                        *p = w->next;
                        free(w);
                        return;
                }
}
