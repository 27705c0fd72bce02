/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The decision behind ScheduleSuspend() and ScheduleSuspendUntil(), over
 * the whole plan space: random targets, durations, wake times, delays,
 * clocks and configurations (only those config_load() accepts), drawn
 * with a seeded PRNG and biased towards the edges (0, the bounds and one
 * off, 2^64 - 1). Every accepted plan must hold the promises:
 *   - the alarm, at the planned suspend time, is at least MinimumDuration=
 *     and at most MaximumDuration= ahead, and the helper (its own
 *     seconds_until() rounding, its --min-seconds= and --seconds= limits)
 *     accepts exactly that;
 *   - no time wraps: suspend after now, wake after suspend;
 *   - after authorization at any later time, the plan taken anew either
 *     still holds all of this or is refused with a named error.
 * Every refusal has a named error with a short message, and leaves the
 * plan untouched.
 *
 * HOSTPM_TEST_SEED=<n> replays another sequence; a failure prints the
 * seed and the case. */

#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "bus-errors.h"
#include "bus-names.h"
#include "macro.h"
#include "sleep-args.h"
#include "sleep-decision.h"
#include "sleep-legs.h"
#include "suspend-plan.h"

#define ITERATIONS 200000
#define DEFAULT_SEED UINT64_C(0x5eed0f0b5e55ed)
/* no host's clock reads later than the year 9999 */
#define NOW_MAX_USEC (UINT64_C(253402300799) * USEC_PER_SEC)
#define MESSAGE_MAX 512

static uint64_t rng_state, seed;
static unsigned iteration;

/* splitmix64: small, fast, and the same sequence everywhere */
static uint64_t rnd(void) {
        uint64_t z = (rng_state += UINT64_C(0x9e3779b97f4a7c15));

        z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
        z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
        return z ^ (z >> 31);
}

static uint64_t rnd_below(uint64_t n) {
        return n == 0 ? 0 : rnd() % n;
}

/* lo..hi, inclusive */
static uint64_t rnd_range(uint64_t lo, uint64_t hi) {
        return hi - lo == UINT64_MAX ? rnd() : lo + rnd_below(hi - lo + 1);
}

/* Near a point of interest: on it, one off either side, a second off, or anywhere. */
static uint64_t near(uint64_t v) {
        switch (rnd_below(8)) {
        case 0: return v;
        case 1: return v + 1;
        case 2: return v - 1;
        case 3: return v + USEC_PER_SEC;
        case 4: return v - USEC_PER_SEC;
        case 5: return v + rnd_below(2 * USEC_PER_SEC);
        case 6: return v - rnd_below(2 * USEC_PER_SEC);
        default: return rnd();
        }
}

static uint64_t edge_or(uint64_t v) {
        switch (rnd_below(10)) {
        case 0: return 0;
        case 1: return UINT64_MAX;
        case 2: return UINT64_MAX - rnd_below(USEC_PER_SEC);
        default: return v;
        }
}

typedef struct Case {
        Config config;
        const char *target;
        char target_buf[96];
        bool until;
        uint64_t when, delay, flags, now, later;
} Case;

static void case_print(const Case *c) {
        fprintf(stderr, "seed 0x%" PRIx64 ", iteration %u: %s target='%s' when=%" PRIu64 " delay=%" PRIu64 " flags=0x%" PRIx64
                " now=%" PRIu64 " later=+%" PRIu64 " min=%" PRIu64 " max=%" PRIu64 " cfgdelay=%" PRIu64 "\n",
                seed, iteration, c->until ? "until" : "duration", c->target, c->when, c->delay, c->flags, c->now,
                c->later, c->config.minimum_duration_usec, c->config.maximum_duration_usec, c->config.delay_usec);
}

#define check(c, expr)                                                                  \
        do {                                                                            \
                if (!(expr)) {                                                          \
                        case_print(c);                                                  \
                        fail_msg("%s:%d: invariant violated: %s", __FILE__, __LINE__, #expr); \
                }                                                                       \
        } while (0)

static void draw_config(Config *config) {
        config_init_defaults(config);
        assert_non_null(config->rtc_device);

        /* what config_load() accepts: 1s <= min <= max <= 366d, 1s <= Delay= <= 1h */
        switch (rnd_below(4)) {
        case 0:
                break;  /* the defaults */
        case 1:
                config->maximum_duration_usec = CONFIG_MAXIMUM_DURATION_MAX_USEC;
                config->minimum_duration_usec = rnd_range(CONFIG_MINIMUM_DURATION_MIN_USEC, 120 * USEC_PER_SEC);
                break;
        default:
                config->maximum_duration_usec = rnd_range(CONFIG_MINIMUM_DURATION_MIN_USEC,
                                                          CONFIG_MAXIMUM_DURATION_MAX_USEC);
                config->minimum_duration_usec = rnd_range(CONFIG_MINIMUM_DURATION_MIN_USEC,
                                                          rnd_below(2) || config->maximum_duration_usec <
                                                                  300 * USEC_PER_SEC
                                                                  ? config->maximum_duration_usec
                                                                  : 300 * USEC_PER_SEC);
        }
        if (rnd_below(2))
                config->delay_usec = rnd_range(CONFIG_DELAY_MIN_USEC, CONFIG_DELAY_MAX_USEC);
        if (rnd_below(4) == 0) {
                uint64_t mask = rnd_range(1, (1u << _SLEEP_TARGET_MAX) - 1);

                for (SleepTarget t = 0; t < _SLEEP_TARGET_MAX; t++)
                        config->allowed_targets[t] = mask & (1u << t);
        }
}

static void draw_target(Case *c) {
        static const char *const fixed[] = { "", "MEM", "mem ", "suspend", "disk\n", "mem\nHOSTPM_RESULT=scheduled" };
        uint64_t k = rnd_below(16);

        if (k < 10) {
                c->target = sleep_target_to_string((SleepTarget) rnd_below(_SLEEP_TARGET_MAX));
                return;
        }
        if (k < 12) {
                c->target = fixed[rnd_below(ELEMENTSOF(fixed))];
                return;
        }
        /* random bytes (controls included), sometimes longer than accepted */
        size_t n = rnd_range(1, sizeof c->target_buf - 1);
        for (size_t i = 0; i < n; i++)
                c->target_buf[i] = (char) rnd_range(1, 255);
        c->target_buf[n] = '\0';
        c->target = c->target_buf;
}

static void draw_case(Case *c) {
        uint64_t min, max, delay_used, suspend;

        memset(c, 0, sizeof *c);
        draw_config(&c->config);
        draw_target(c);
        min = c->config.minimum_duration_usec;
        max = c->config.maximum_duration_usec;
        /* the RTC's reach, as hostpmd found it: none known, near the
         * minimum (legs that may not be armable), or anything */
        switch (rnd_below(3)) {
        case 0:  c->config.alarm_range_sec = 0; break;
        case 1:  c->config.alarm_range_sec = rnd_range(1, 3 * (min / USEC_PER_SEC) + 2); break;
        default: c->config.alarm_range_sec = rnd_range(1, max / USEC_PER_SEC + 1);
        }
        c->config.hibernate_delay_usec = rnd_below(2) ? CONFIG_HIBERNATE_DELAY_DEFAULT_USEC : rnd_range(1, max);

        c->now = rnd_below(4) == 0 ? near(UINT64_C(1774733400) * USEC_PER_SEC) : rnd_below(NOW_MAX_USEC + 1);
        switch (rnd_below(4)) {
        case 0:  c->delay = 0; break;
        case 1:  c->delay = near(rnd_below(2) ? SUSPEND_DELAY_MIN_USEC : SUSPEND_DELAY_MAX_USEC); break;
        default: c->delay = edge_or(rnd_range(SUSPEND_DELAY_MIN_USEC, 3600 * USEC_PER_SEC));
        }
        c->flags = rnd_below(8) == 0 ? rnd() : rnd_below(HOSTPM_FLAGS_ALL + 1);

        delay_used = c->delay == 0 ? c->config.delay_usec : c->delay;
        suspend = usec_add(c->now, delay_used);
        c->until = rnd_below(2);
        if (c->until)
                c->when = edge_or(suspend + near(rnd_below(2) ? min : rnd_below(2) ? max : rnd_range(min, max)));
        else
                c->when = edge_or(near(rnd_below(2) ? min : rnd_below(2) ? max : rnd_range(min, max)));

        /* how long authorization takes: nothing, up to the slack, or minutes */
        c->later = rnd_below(3) == 0 ? 0 : rnd_below(3) == 0 ? rnd_below(600 * USEC_PER_SEC) : near(0);
        if (c->later > 3600 * USEC_PER_SEC)
                c->later = rnd_below(3600 * USEC_PER_SEC);
}

static void check_refusal(const Case *c, int r, const sd_bus_error *error, const SuspendPlan *plan,
                          const SuspendPlan *untouched) {
        check(c, r < 0);
        check(c, sd_bus_error_is_set(error));
        check(c, strncmp(error->name, HOSTPM_ERROR_PREFIX, strlen(HOSTPM_ERROR_PREFIX)) == 0 ||
                 streq(error->name, SD_BUS_ERROR_INVALID_ARGS));
        check(c, -sd_bus_error_get_errno(error) == r);
        check(c, !isempty(error->message) && strlen(error->message) < MESSAGE_MAX);
        /* an over-long target never reaches a message */
        if (strlen(c->target) > SUSPEND_TARGET_MAX)
                check(c, !strstr(error->message, c->target));
        check(c, memcmp(plan, untouched, sizeof *plan) == 0);
}

/* The plan as it stands at time at (the planned suspend): what the helper
 * will be told, and the invariants. */
static void check_plan(const Case *c, const SuspendPlan *p, uint64_t at) {
        const Config *config = &c->config;
        uint64_t delay = c->delay == 0 ? config->delay_usec : c->delay, ahead_usec, helper_seconds;
        uint64_t min_seconds = suspend_plan_min_seconds(config);

        check(c, p->target >= 0 && p->target < _SLEEP_TARGET_MAX && config->allowed_targets[p->target]);
        check(c, streq(sleep_target_to_string(p->target), c->target));
        check(c, p->flags == c->flags && (p->flags & ~HOSTPM_FLAGS_ALL) == 0);
        check(c, p->delay_usec == delay);
        check(c, delay >= SUSPEND_DELAY_MIN_USEC && delay <= SUSPEND_DELAY_MAX_USEC);

        /* no wrap: the suspend comes after now, the wake after the suspend */
        check(c, p->suspend_realtime_usec == at + delay && p->suspend_realtime_usec > at);
        check(c, suspend_plan_wake_usec(p) > p->suspend_realtime_usec);

        if (c->until) {
                check(c, p->wake_realtime_usec % USEC_PER_SEC == 0);
                check(c, p->wake_realtime_usec <= c->when && c->when - p->wake_realtime_usec < USEC_PER_SEC);
                ahead_usec = p->wake_realtime_usec - p->suspend_realtime_usec;
                check(c, p->duration_sec == ahead_usec / USEC_PER_SEC);
                /* the helper's own reckoning, run at the planned suspend */
                check(c, seconds_until(p->wake_realtime_usec / USEC_PER_SEC, p->suspend_realtime_usec,
                                       &helper_seconds) == 0);
        } else {
                check(c, p->wake_realtime_usec == 0);
                /* whole seconds, never less than asked, less than a second more */
                check(c, p->duration_sec * USEC_PER_SEC >= c->when);
                check(c, p->duration_sec * USEC_PER_SEC - c->when < USEC_PER_SEC);
                ahead_usec = c->when;
                helper_seconds = p->duration_sec;
                check(c, suspend_plan_wake_usec(p) == p->suspend_realtime_usec + p->duration_sec * USEC_PER_SEC);
        }

        /* the alarm is far enough ahead to be reached asleep, near enough for the RTC */
        check(c, ahead_usec >= config->minimum_duration_usec);
        check(c, ahead_usec <= config->maximum_duration_usec);
        /* and the helper, told --min-seconds=, agrees */
        check(c, min_seconds >= 1 && helper_seconds >= min_seconds);
        /* in legs it can arm: none beyond the range, none under the minimum */
        check(c, p->alarm_range_sec == config->alarm_range_sec && p->legs >= 1 && p->legs <= SLEEP_LEGS_MAX);
        if (p->target != SLEEP_TARGET_SUSPEND_THEN_HIBERNATE) {
                check(c, p->hibernate_after_sec == 0);
                uint64_t s = p->duration_sec;

                if (p->legs > 1)
                        check(c, s / p->legs >= min_seconds);
                if (config->alarm_range_sec > 0)
                        check(c, s / p->legs + (s % p->legs != 0) <= config->alarm_range_sec);
                else
                        check(c, p->legs == 1);
        }
        check(c, helper_seconds >= 1 && helper_seconds <= SLEEP_SECONDS_MAX);
}

static void run_case(const Case *c) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        SuspendPlan plan, untouched, retimed;
        int r;

        memset(&plan, 0xaa, sizeof plan);
        untouched = plan;
        if (c->until)
                r = suspend_plan_for_wake_time(&c->config, c->target, c->when, c->delay, c->flags, c->now,
                                               &plan, &error);
        else
                r = suspend_plan_for_duration(&c->config, c->target, c->when, c->delay, c->flags, c->now,
                                              &plan, &error);
        if (r != 0) {
                check_refusal(c, r, &error, &plan, &untouched);
                return;
        }
        check(c, !sd_bus_error_is_set(&error));
        check_plan(c, &plan, c->now);

        /* authorized `later`: taken anew, it still holds, or it is refused */
        retimed = plan;
        r = suspend_plan_retime(&c->config, &retimed, c->now + c->later, &error);
        if (r != 0) {
                check(c, c->until);  /* a duration cannot go stale */
                check(c, sd_bus_error_has_names(&error, HOSTPM_ERROR_WAKE_TIME_IN_PAST,
                                                HOSTPM_ERROR_DURATION_OUT_OF_RANGE, HOSTPM_ERROR_LEG_NOT_ARMABLE));
                check(c, strstr(error.message, "By the time the request was authorized"));
                check_refusal(c, r, &error, &retimed, &plan);
                return;
        }
        check_plan(c, &retimed, c->now + c->later);
}

static void test_plan_space(void **state) {
        const char *e = getenv("HOSTPM_TEST_SEED");
        unsigned accepted = 0, retime_refused = 0;

        seed = e ? strtoull(e, NULL, 0) : DEFAULT_SEED;
        rng_state = seed;
        for (iteration = 0; iteration < ITERATIONS; iteration++) {
                _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
                SuspendPlan p;
                Case c;

                draw_case(&c);
                run_case(&c);

                /* count what was covered, so a generator gone blind shows */
                if ((c.until ? suspend_plan_for_wake_time : suspend_plan_for_duration)(
                            &c.config, c.target, c.when, c.delay, c.flags, c.now, &p, &error) == 0) {
                        accepted++;
                        retime_refused += suspend_plan_retime(&c.config, &p, c.now + c.later, NULL) < 0;
                }
                config_done(&c.config);
        }
        fprintf(stderr, "seed 0x%" PRIx64 ": %u of %u accepted, %u of those refused after authorization\n",
                seed, accepted, ITERATIONS, retime_refused);
        /* both outcomes must be well represented for the invariants to mean anything */
        assert_true(accepted > ITERATIONS / 20 && accepted < ITERATIONS * 9 / 10);
        assert_true(retime_refused > ITERATIONS / 1000);
}

/* The examples behind the properties, pinned. */
static void test_stale_wake_time(void **state) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        const uint64_t now = UINT64_C(1774733400) * USEC_PER_SEC;
        SuspendPlan plan, before;
        Config config;

        config_init_defaults(&config);  /* Delay=5s, MinimumDuration=60s */
        assert_int_equal(suspend_plan_for_wake_time(&config, "mem", now + 65 * USEC_PER_SEC, 0, 0, now, &plan,
                                                    &error), 0);
        assert_int_equal(plan.duration_sec, 60);

        /* authorized at once: as planned */
        before = plan;
        assert_int_equal(suspend_plan_retime(&config, &plan, now, &error), 0);
        assert_memory_equal(&plan, &before, sizeof plan);

        /* a password typed a second later: 59 s left, refused, plan kept */
        assert_int_equal(suspend_plan_retime(&config, &plan, now + USEC_PER_SEC, &error), -ERANGE);
        assert_true(sd_bus_error_has_name(&error, HOSTPM_ERROR_DURATION_OUT_OF_RANGE));
        assert_non_null(strstr(error.message, "59s is out of range"));
        assert_memory_equal(&plan, &before, sizeof plan);
        sd_bus_error_free(&error);

        /* a minute later: the wake time has passed the suspend */
        assert_int_equal(suspend_plan_retime(&config, &plan, now + 60 * USEC_PER_SEC, &error), -ETIME);
        assert_true(sd_bus_error_has_name(&error, HOSTPM_ERROR_WAKE_TIME_IN_PAST));
        config_done(&config);
}

static void test_long_target(void **state) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_free_ char *target = malloc(1 << 20);
        SuspendPlan plan;
        Config config;

        assert_non_null(target);
        memset(target, 'x', (1 << 20) - 1);
        target[(1 << 20) - 1] = '\0';
        config_init_defaults(&config);
        assert_int_equal(suspend_plan_for_duration(&config, target, 600 * USEC_PER_SEC, 0, 0, 0, &plan, &error),
                         -EINVAL);
        assert_true(sd_bus_error_has_name(&error, HOSTPM_ERROR_INVALID_TARGET));
        assert_true(strlen(error.message) < 200);
        assert_null(strstr(error.message, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"));
        config_done(&config);
}

/* A configuration at the helper's limit: the longest sleep fits everywhere. */
static void test_longest_sleep(void **state) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        const uint64_t now = UINT64_C(1774733400) * USEC_PER_SEC;
        SuspendPlan plan;
        Config config;

        config_init_defaults(&config);
        config.maximum_duration_usec = CONFIG_MAXIMUM_DURATION_MAX_USEC;
        assert_int_equal(suspend_plan_for_duration(&config, "mem", CONFIG_MAXIMUM_DURATION_MAX_USEC, 0, 0, now,
                                                   &plan, &error), 0);
        assert_int_equal(plan.duration_sec, SLEEP_SECONDS_MAX);
        assert_int_equal(suspend_plan_wake_usec(&plan), now + 5 * USEC_PER_SEC + CONFIG_MAXIMUM_DURATION_MAX_USEC);
        assert_int_equal(suspend_plan_for_duration(&config, "mem", UINT64_MAX, 0, 0, now, &plan, &error), -ERANGE);
        config_done(&config);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_plan_space),
                cmocka_unit_test(test_stale_wake_time),
                cmocka_unit_test(test_long_target),
                cmocka_unit_test(test_longest_sleep),
        };

        /* as hostpmd does, so the errno behind each name is the real one */
        assert_int_equal(bus_errors_register(), 0);
        return cmocka_run_group_tests(tests, NULL, NULL);
}
