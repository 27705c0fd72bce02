/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The decision behind ScheduleSuspend() and ScheduleSuspendUntil(), on any
 * request and configuration. The input is one line of fields, as readable
 * seeds want (numbers as strtoull() reads them: 0x.. for flags):
 *
 *   duration|until TARGET WHEN [DELAY [FLAGS [NOW [MIN [MAX [CFGDELAY [ALLOWED [LATER]]]]]]]]
 *
 * WHEN is the duration or the wake time, times in microseconds, ALLOWED a
 * bit mask of sleep targets, LATER how long after NOW the request is
 * authorized (the plan is then taken anew); "-" as TARGET is the empty
 * string. Left out, NOW is a fixed time, LATER 0 and the rest are the
 * defaults. Anything else is skipped. tests/unit/test-suspend-plan.c
 * walks the same space with a PRNG. */

#include <inttypes.h>

#include "bus-errors.h"
#include "bus-names.h"
#include "fuzz.h"
#include "suspend-plan.h"

#define FUZZ_NOW_USEC (UINT64_C(1774733400) * USEC_PER_SEC + 123456)

/* no host's clock reads later than the year 9999 */
#define NOW_MAX_USEC (UINT64_C(253402300799) * USEC_PER_SEC)

#define FIELD_SEPARATORS " \t\r\n"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
        /* as hostpmd does, so the errno behind each name is the real one */
        if (bus_errors_register() < 0)
                abort();
        return 0;
}

static bool parse_u64(const char *s, uint64_t *ret) {
        unsigned long long v;
        char *end;

        errno = 0;
        v = strtoull(s, &end, 0);
        if (errno != 0 || end == s || *end != '\0')
                return false;
        *ret = v;
        return true;
}

static void check_failure(int r, const sd_bus_error *error) {
        fuzz_assert(r < 0);
        fuzz_assert(sd_bus_error_is_set(error));
        fuzz_assert(strncmp(error->name, HOSTPM_ERROR_PREFIX, strlen(HOSTPM_ERROR_PREFIX)) == 0 ||
                    streq(error->name, SD_BUS_ERROR_INVALID_ARGS));
        fuzz_assert(!isempty(error->message));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_free_ char *s = NULL;
        const char *entry, *target, *field;
        uint64_t v[9], when, delay, flags, now, later, effective_delay, duration;
        SuspendPlan plan, untouched, retimed;
        Config config;
        size_t n = 0;
        bool until;
        int r;

        s = strndup((const char *) data, size);
        if (!s)
                return 0;

        entry = strtok(s, FIELD_SEPARATORS);
        target = strtok(NULL, FIELD_SEPARATORS);
        if (!entry || !target || !(streq(entry, "duration") || streq(entry, "until")))
                return 0;
        until = streq(entry, "until");
        if (streq(target, "-"))
                target = "";
        while ((field = strtok(NULL, FIELD_SEPARATORS)))
                if (n >= ELEMENTSOF(v) || !parse_u64(field, &v[n++]))
                        return 0;
        if (n == 0)
                return 0;

        config_init_defaults(&config);
        if (!config.rtc_device)
                return 0;
        when = v[0];
        delay = n > 1 ? v[1] : 0;
        flags = n > 2 ? v[2] : 0;
        now = n > 3 ? v[3] % (NOW_MAX_USEC + 1) : FUZZ_NOW_USEC;
        /* Only what config_load() can yield: a config it refuses never
         * reaches this code. */
        if (n > 4)  /* at most MaximumDuration=, which is at most 366 d */
                config.minimum_duration_usec = v[4] < CONFIG_MINIMUM_DURATION_MIN_USEC ? CONFIG_MINIMUM_DURATION_MIN_USEC
                                               : v[4] > CONFIG_MAXIMUM_DURATION_MAX_USEC ? CONFIG_MAXIMUM_DURATION_MAX_USEC
                                               : v[4];
        if (n > 5)
                config.maximum_duration_usec = v[5] > CONFIG_MAXIMUM_DURATION_MAX_USEC ?
                                               CONFIG_MAXIMUM_DURATION_MAX_USEC : v[5];
        if (config.maximum_duration_usec < config.minimum_duration_usec)
                config.maximum_duration_usec = config.minimum_duration_usec;
        if (n > 6)
                config.delay_usec = CONFIG_DELAY_MIN_USEC + v[6] % (CONFIG_DELAY_MAX_USEC - CONFIG_DELAY_MIN_USEC + 1);
        if (n > 7 && (v[7] & ((1u << _SLEEP_TARGET_MAX) - 1)) != 0)
                for (SleepTarget t = 0; t < _SLEEP_TARGET_MAX; t++)
                        config.allowed_targets[t] = v[7] & (1u << t);
        later = n > 8 ? v[8] % (24 * 3600 * USEC_PER_SEC) : 0;

        memset(&plan, 0xaa, sizeof plan);
        untouched = plan;
        if (until)
                r = suspend_plan_for_wake_time(&config, target, when, delay, flags, now, &plan, &error);
        else
                r = suspend_plan_for_duration(&config, target, when, delay, flags, now, &plan, &error);

        if (r != 0) {
                check_failure(r, &error);
                fuzz_assert(memcmp(&plan, &untouched, sizeof plan) == 0); /* ret set only on success */
                goto finish;
        }

        fuzz_assert(!sd_bus_error_is_set(&error));
        fuzz_assert(plan.target == sleep_target_from_string(target));
        fuzz_assert(plan.target >= 0 && config.allowed_targets[plan.target]);
        fuzz_assert((flags & ~HOSTPM_FLAGS_ALL) == 0 && plan.flags == flags);

        effective_delay = delay > 0 ? delay : config.delay_usec;
        fuzz_assert(plan.delay_usec == effective_delay);
        fuzz_assert(effective_delay >= SUSPEND_DELAY_MIN_USEC && effective_delay <= SUSPEND_DELAY_MAX_USEC);
        fuzz_assert(plan.suspend_realtime_usec == now + effective_delay);

        if (until) {
                /* the RTC's whole second */
                fuzz_assert(plan.wake_realtime_usec == when - when % USEC_PER_SEC);
                fuzz_assert(plan.wake_realtime_usec > plan.suspend_realtime_usec);
                duration = plan.wake_realtime_usec - plan.suspend_realtime_usec;
                fuzz_assert(suspend_plan_wake_usec(&plan) == plan.wake_realtime_usec);
        } else {
                duration = when;
                fuzz_assert(plan.wake_realtime_usec == 0);
                /* whole seconds, never less than asked, less than 1s more */
                fuzz_assert(plan.duration_sec >= duration / USEC_PER_SEC);
                fuzz_assert(plan.duration_sec - duration / USEC_PER_SEC == (duration % USEC_PER_SEC != 0));
                /* no wrap */
                fuzz_assert(suspend_plan_wake_usec(&plan) - plan.suspend_realtime_usec ==
                            plan.duration_sec * USEC_PER_SEC);
        }
        fuzz_assert(plan.duration_sec <= CONFIG_MAXIMUM_DURATION_MAX_USEC / USEC_PER_SEC);
        fuzz_assert(suspend_plan_min_seconds(&config) >= 1);
        if (duration < config.minimum_duration_usec || duration > config.maximum_duration_usec) {
                fprintf(stderr, "sleep of %" PRIu64 "us accepted, bounds are %" PRIu64 "us to %" PRIu64 "us\n",
                        duration, config.minimum_duration_usec, config.maximum_duration_usec);
                abort();
        }

        /* Authorized later: taken anew, the plan keeps its promises or is
         * refused; a duration cannot go stale. */
        sd_bus_error_free(&error);
        retimed = plan;
        r = suspend_plan_retime(&config, &retimed, now + later, &error);
        if (r != 0) {
                check_failure(r, &error);
                fuzz_assert(until);
                fuzz_assert(memcmp(&retimed, &plan, sizeof plan) == 0);
                goto finish;
        }
        fuzz_assert(retimed.suspend_realtime_usec == now + later + effective_delay);
        duration = until ? retimed.wake_realtime_usec - retimed.suspend_realtime_usec
                         : retimed.duration_sec * USEC_PER_SEC;
        fuzz_assert(retimed.wake_realtime_usec == 0 || retimed.wake_realtime_usec > retimed.suspend_realtime_usec);
        fuzz_assert(duration >= config.minimum_duration_usec);
        /* a duration's whole seconds may round up past the maximum, a wake time's may not */
        fuzz_assert(duration <= config.maximum_duration_usec ||
                    (!until && duration - config.maximum_duration_usec < USEC_PER_SEC));

finish:
        config_done(&config);
        return 0;
}
