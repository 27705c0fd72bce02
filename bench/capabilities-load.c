/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Load generator for the benchmark: N clients, each its own bus connection
 * with one GetCapabilities() call in flight at all times, for a fixed time.
 * Prints the number of completed calls and the calls per second. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

typedef struct Client {
        sd_bus *bus;
        unsigned long completed, failed;
        int stopping;
} Client;

static int issue(Client *c);

static int on_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Client *c = userdata;

        if (sd_bus_message_is_method_error(m, NULL))
                c->failed++;
        else
                c->completed++;
        return c->stopping ? 0 : issue(c);
}

static int issue(Client *c) {
        return sd_bus_call_method_async(c->bus, NULL, "org.hostpm1", "/org/hostpm1", "org.hostpm1.Manager",
                                        "GetCapabilities", on_reply, c, NULL);
}

static int on_stop(sd_event_source *s, uint64_t usec, void *userdata) {
        return sd_event_exit(sd_event_source_get_event(s), 0);
}

int main(int argc, char *argv[]) {
        sd_event *event = NULL;
        Client *clients;
        unsigned n, seconds;
        unsigned long completed = 0, failed = 0;
        int r;

        if (argc != 3 || sscanf(argv[1], "%u", &n) != 1 || sscanf(argv[2], "%u", &seconds) != 1 || n == 0) {
                fprintf(stderr, "usage: %s CLIENTS SECONDS\n", argv[0]);
                return 2;
        }
        clients = calloc(n, sizeof *clients);
        r = sd_event_default(&event);
        for (unsigned i = 0; r >= 0 && i < n; i++) {
                r = sd_bus_open_system(&clients[i].bus);
                if (r >= 0)
                        r = sd_bus_attach_event(clients[i].bus, event, 0);
        }
        for (unsigned i = 0; r >= 0 && i < n; i++)
                r = issue(&clients[i]);
        if (r >= 0)
                r = sd_event_add_time_relative(event, NULL, CLOCK_MONOTONIC, (uint64_t) seconds * 1000000, 1000,
                                               on_stop, NULL);
        if (r >= 0)
                r = sd_event_loop(event);
        if (r < 0) {
                fprintf(stderr, "capabilities-load: %s\n", strerror(-r));
                return 1;
        }
        for (unsigned i = 0; i < n; i++) {
                completed += clients[i].completed;
                failed += clients[i].failed;
                sd_bus_flush_close_unref(clients[i].bus);
        }
        free(clients);
        sd_event_unref(event);
        printf("%lu %lu %.1f\n", completed, failed, (double) completed / seconds);
        return failed > 0;
}
