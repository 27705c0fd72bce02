/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "bus-name-owner.h"
#include "macro.h"

#define LOGIND "org.freedesktop.login1"

static int setup_state(void **state) {
        NameOwnerState *s = calloc(1, sizeof *s);

        assert_non_null(s);
        s->name = strdup(LOGIND);
        assert_non_null(s->name);
        *state = s;
        return 0;
}

static int teardown_state(void **state) {
        name_owner_state_done(*state);
        free(*state);
        return 0;
}

static void test_nobody_before_the_driver_says(void **state) {
        NameOwnerState *s = *state;

        /* not known yet: nothing is accepted, whoever sends it */
        assert_false(name_owner_state_is_owner(s, ":1.5"));
        assert_false(name_owner_state_is_owner(s, LOGIND));
        assert_false(name_owner_state_is_owner(s, NULL));
        assert_false(name_owner_state_is_owner(s, ""));
}

static void test_owner_predicate(void **state) {
        static const struct {
                const char *sender;
                bool accepted;
        } table[] = {
                { ":1.5",            true  },
                { ":1.50",           false },  /* not a prefix match */
                { ":1.",             false },
                { ":1",              false },
                { ":",               false },
                { "",                false },
                { NULL,              false },  /* a direct connection has no sender */
                { LOGIND,            false },  /* bus senders are unique names */
                { BUS_DRIVER_NAME,   false },
                { ":1.6",            false },
        };
        NameOwnerState *s = *state;

        assert_int_equal(name_owner_state_resolved(s, BUS_DRIVER_NAME, ":1.5"), 1);
        for (size_t i = 0; i < ELEMENTSOF(table); i++)
                if (name_owner_state_is_owner(s, table[i].sender) != table[i].accepted)
                        fail_msg("sender %s: expected %s", table[i].sender ? table[i].sender : "(null)",
                                 table[i].accepted ? "accepted" : "refused");
}

static void test_follows_the_driver(void **state) {
        NameOwnerState *s = *state;

        assert_int_equal(name_owner_state_resolved(s, BUS_DRIVER_NAME, ":1.5"), 1);
        assert_true(name_owner_state_is_owner(s, ":1.5"));

        /* logind restarts: gone, then a new connection */
        assert_int_equal(name_owner_state_changed(s, BUS_DRIVER_NAME, LOGIND, ""), 1);
        assert_null(s->owner);
        assert_false(name_owner_state_is_owner(s, ":1.5"));
        assert_int_equal(name_owner_state_changed(s, BUS_DRIVER_NAME, LOGIND, ":1.9"), 1);
        assert_false(name_owner_state_is_owner(s, ":1.5"));
        assert_true(name_owner_state_is_owner(s, ":1.9"));

        /* another name's change changes nothing */
        assert_int_equal(name_owner_state_changed(s, BUS_DRIVER_NAME, "org.freedesktop.login10", ":1.7"), 0);
        assert_int_equal(name_owner_state_changed(s, BUS_DRIVER_NAME, NULL, ":1.7"), 0);
        assert_true(name_owner_state_is_owner(s, ":1.9"));

        /* NameHasNoOwner */
        assert_int_equal(name_owner_state_resolved(s, BUS_DRIVER_NAME, NULL), 1);
        assert_false(name_owner_state_is_owner(s, ":1.9"));
}

static void test_forged_changes(void **state) {
        static const char *const senders[] = { ":1.66", NULL, "", LOGIND, "org.freedesktop.DBus.Fake", "org.freedesktop" };
        NameOwnerState *s = *state;

        assert_int_equal(name_owner_state_resolved(s, BUS_DRIVER_NAME, ":1.5"), 1);
        for (size_t i = 0; i < ELEMENTSOF(senders); i++) {
                /* someone else's NameOwnerChanged or GetNameOwner answer
                 * would make the forger the owner */
                assert_int_equal(name_owner_state_changed(s, senders[i], LOGIND, ":1.66"), -EPERM);
                assert_int_equal(name_owner_state_changed(s, senders[i], LOGIND, ""), -EPERM);
                assert_int_equal(name_owner_state_resolved(s, senders[i], ":1.66"), -EPERM);
                assert_int_equal(name_owner_state_resolved(s, senders[i], NULL), -EPERM);
                assert_true(name_owner_state_is_owner(s, ":1.5"));
                assert_false(name_owner_state_is_owner(s, ":1.66"));
        }
}

static void test_owner_must_be_unique(void **state) {
        NameOwnerState *s = *state;

        assert_int_equal(name_owner_state_resolved(s, BUS_DRIVER_NAME, ":1.5"), 1);
        /* the driver never says so; if it did, the old owner stands */
        assert_int_equal(name_owner_state_changed(s, BUS_DRIVER_NAME, LOGIND, LOGIND), -EBADMSG);
        assert_int_equal(name_owner_state_resolved(s, BUS_DRIVER_NAME, "org.example"), -EBADMSG);
        assert_int_equal(name_owner_state_resolved(s, BUS_DRIVER_NAME, ":"), -EBADMSG);
        assert_true(name_owner_state_is_owner(s, ":1.5"));
        assert_false(name_owner_state_is_owner(s, LOGIND));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_nobody_before_the_driver_says, setup_state, teardown_state),
                cmocka_unit_test_setup_teardown(test_owner_predicate, setup_state, teardown_state),
                cmocka_unit_test_setup_teardown(test_follows_the_driver, setup_state, teardown_state),
                cmocka_unit_test_setup_teardown(test_forged_changes, setup_state, teardown_state),
                cmocka_unit_test_setup_teardown(test_owner_must_be_unique, setup_state, teardown_state),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
