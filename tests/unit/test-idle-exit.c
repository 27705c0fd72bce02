/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The idle exit against a real bus: a private dbus-daemon, a service that
 * owns a name and can hold a call unanswered, and a client. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "idle-exit.h"
#include "timespan.h"

#define NAME  "org.hostpm1.IdleTest"
#define PATH  "/org/hostpm1/IdleTest"
#define IFACE "org.hostpm1.IdleTest"

typedef struct Fixture {
        char dir[64];
        pid_t daemon;
        char address[256];
        sd_event *event;
        sd_bus *service, *client;
        IdleExit *idle;
        sd_bus_message *held;      /* a call the service has not answered yet */
        bool stay;
        unsigned n_stay_asked;
        int reply;                 /* client: 0 none yet, 1 answered, -1 error */
} Fixture;

static bool busy(void *userdata) {
        return ((Fixture *) userdata)->held;
}

static bool stay(void *userdata) {
        Fixture *x = userdata;

        x->n_stay_asked++;
        return x->stay;
}

static int method_hold(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Fixture *x = userdata;

        x->held = sd_bus_message_ref(m);
        return 1;
}

static const sd_bus_vtable service_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD("Hold", "", "", method_hold, 0),
        SD_BUS_VTABLE_END
};

static void start_daemon(Fixture *x) {
        _cleanup_free_ char *conf = NULL;
        int p[2];
        ssize_t n;
        FILE *f;

        assert_true(asprintf(&conf, "%s/bus.conf", x->dir) > 0);
        f = fopen(conf, "we");
        assert_non_null(f);
        fprintf(f, "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"\n"
                   " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
                   "<busconfig><type>session</type><listen>unix:path=%s/socket</listen><auth>EXTERNAL</auth>"
                   "<policy context=\"default\"><allow send_destination=\"*\"/><allow receive_sender=\"*\"/>"
                   "<allow own=\"*\"/></policy>"
                   "</busconfig>\n", x->dir);
        fclose(f);

        assert_int_equal(pipe2(p, O_CLOEXEC), 0);
        x->daemon = fork();
        assert_true(x->daemon >= 0);
        if (x->daemon == 0) {
                /* gone with the test, however it ends */
                if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || dup2(p[1], 3) < 0)
                        _exit(126);
                execlp("dbus-daemon", "dbus-daemon", "--nofork", "--nosyslog", "--print-address=3",
                       "--config-file", conf, (char *) NULL);
                fprintf(stderr, "Failed to run dbus-daemon (package dbus, tools/install-deps): %s\n", strerror(errno));
                _exit(127);
        }
        close(p[1]);
        n = read(p[0], x->address, sizeof x->address - 1);
        close(p[0]);
        assert_true(n > 0);  /* else dbus-daemon did not start: see its message above */
        x->address[strcspn(x->address, "\n")] = '\0';
}

static sd_bus *connect_bus(const char *address) {
        sd_bus *bus = NULL;

        assert_int_equal(sd_bus_new(&bus), 0);
        assert_true(sd_bus_set_address(bus, address) >= 0);
        assert_true(sd_bus_set_bus_client(bus, 1) >= 0);
        assert_true(sd_bus_start(bus) >= 0);
        return bus;
}

static int setup(void **state) {
        Fixture *x = calloc(1, sizeof *x);

        assert_non_null(x);
        strcpy(x->dir, "/tmp/hostpm-test-idle-exit-XXXXXX");
        assert_non_null(mkdtemp(x->dir));
        start_daemon(x);
        assert_int_equal(sd_event_new(&x->event), 0);

        x->service = connect_bus(x->address);
        assert_int_equal(sd_bus_add_object_vtable(x->service, NULL, PATH, IFACE, service_vtable, x), 0);
        assert_true(sd_bus_request_name(x->service, NAME, 0) >= 0);
        x->client = connect_bus(x->address);
        *state = x;
        return 0;
}

static int teardown(void **state) {
        Fixture *x = *state;
        _cleanup_free_ char *cmd = NULL;

        idle_exit_free(x->idle);
        sd_bus_message_unref(x->held);
        sd_bus_flush_close_unref(x->service);
        sd_bus_flush_close_unref(x->client);
        sd_event_unref(x->event);
        (void) kill(x->daemon, SIGTERM);
        (void) waitpid(x->daemon, NULL, 0);
        assert_true(asprintf(&cmd, "rm -rf '%s'", x->dir) > 0);
        (void) system(cmd);
        free(x);
        return 0;
}

static bool name_has_owner(Fixture *x) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int owned = 0;

        assert_int_equal(sd_bus_call_method(x->client, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                            "org.freedesktop.DBus", "NameHasOwner", NULL, &reply, "s", NAME), 1);
        assert_int_equal(sd_bus_message_read(reply, "b", &owned), 1);
        return owned;
}

static bool exit_requested(Fixture *x) {
        int code;

        return sd_event_get_exit_code(x->event, &code) >= 0;
}

/* Runs the loop until done(x) or the loop exits, within 10 s. */
static void run_until(Fixture *x, bool (*done)(Fixture *x)) {
        uint64_t deadline = clock_now_usec(CLOCK_MONOTONIC) + 10 * USEC_PER_SEC;

        while (!done(x) && sd_event_get_state(x->event) != SD_EVENT_FINISHED) {
                assert_true(clock_now_usec(CLOCK_MONOTONIC) < deadline);
                assert_true(sd_event_run(x->event, 100 * USEC_PER_MSEC) >= 0);
        }
}

static bool releasing(Fixture *x) {
        return idle_exit_state(x->idle) != IDLE_EXIT_RUNNING;
}

static bool released(Fixture *x) {
        return idle_exit_state(x->idle) == IDLE_EXIT_RELEASED;
}

static bool stay_asked(Fixture *x) {
        return x->n_stay_asked > 0;
}

static void test_exits_when_idle(void **state) {
        Fixture *x = *state;

        assert_int_equal(sd_bus_attach_event(x->service, x->event, 0), 0);
        assert_int_equal(idle_exit_new(x->event, x->service, NAME, 1, busy, stay, x, &x->idle), 0);
        run_until(x, exit_requested);
        assert_true(exit_requested(x));
        assert_false(name_has_owner(x));
}

static void test_stays_while_asked_to(void **state) {
        Fixture *x = *state;

        x->stay = true;
        assert_int_equal(sd_bus_attach_event(x->service, x->event, 0), 0);
        assert_int_equal(idle_exit_new(x->event, x->service, NAME, 1, busy, stay, x, &x->idle), 0);
        run_until(x, stay_asked);
        assert_int_equal(idle_exit_state(x->idle), IDLE_EXIT_RUNNING);
        assert_true(name_has_owner(x));

        x->stay = false;
        run_until(x, exit_requested);
        assert_true(exit_requested(x));
}

static int on_reply(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Fixture *x = userdata;

        x->reply = sd_bus_message_is_method_error(m, NULL) ? -1 : 1;
        return 0;
}

/* A call the bus routed to us before it took the name away is answered
 * before we exit, however long it takes. */
static void test_call_routed_before_release_is_answered(void **state) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *id = NULL;
        Fixture *x = *state;
        uint64_t deadline;

        assert_int_equal(sd_bus_call_method_async(x->client, NULL, NAME, PATH, IFACE, "Hold", on_reply, x, ""), 1);
        /* the daemon answers our calls in order: once it has answered
         * this one, it has routed Hold to the service */
        assert_int_equal(sd_bus_call_method(x->client, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                            "org.freedesktop.DBus", "GetId", NULL, &id, ""), 1);

        /* the service gives the name up before it has read Hold */
        assert_int_equal(idle_exit_new(x->event, x->service, NAME, 1, busy, stay, x, &x->idle), 0);
        run_until(x, releasing);
        assert_null(x->held);

        assert_int_equal(sd_bus_attach_event(x->service, x->event, 0), 0);
        run_until(x, released);
        assert_non_null(x->held);        /* read before the daemon's answer to ReleaseName */
        assert_false(name_has_owner(x));
        assert_false(exit_requested(x)); /* Hold is not answered yet */

        assert_int_equal(sd_bus_reply_method_return(x->held, ""), 1);
        x->held = sd_bus_message_unref(x->held);
        run_until(x, exit_requested);
        assert_true(exit_requested(x));

        /* and the caller got its answer */
        deadline = clock_now_usec(CLOCK_MONOTONIC) + 10 * USEC_PER_SEC;
        assert_true(sd_bus_flush(x->service) >= 0);
        while (x->reply == 0) {
                assert_true(clock_now_usec(CLOCK_MONOTONIC) < deadline);
                if (sd_bus_process(x->client, NULL) == 0)
                        assert_true(sd_bus_wait(x->client, 100 * USEC_PER_MSEC) >= 0);
        }
        assert_int_equal(x->reply, 1);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_exits_when_idle, setup, teardown),
                cmocka_unit_test_setup_teardown(test_stays_while_asked_to, setup, teardown),
                cmocka_unit_test_setup_teardown(test_call_routed_before_release_is_answered, setup, teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
