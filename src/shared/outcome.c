/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <json-c/json.h>
#include <limits.h>
#include <sys/stat.h>

#include "fileio.h"
#include "json-util.h"
#include "macro.h"
#include "outcome.h"
#include "test-seam.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(json_tokener *, json_tokener_free)

/* A record is a few hundred bytes; anything this big is not one. */
#define OUTCOME_SIZE_MAX (64 * 1024)

static const char *const outcome_result_table[_OUTCOME_RESULT_MAX] = {
        [OUTCOME_SUSPENDING] = "suspending",
        [OUTCOME_RESUMED]    = "resumed",
        [OUTCOME_FAILED]     = "failed",
        [OUTCOME_REFUSED]    = "refused",
        [OUTCOME_CANCELLED]  = "cancelled",
};

const char *outcome_result_to_string(OutcomeResult r) {
        return r >= 0 && r < _OUTCOME_RESULT_MAX ? outcome_result_table[r] : NULL;
}

OutcomeResult outcome_result_from_string(const char *s) {
        if (!s)
                return _OUTCOME_RESULT_INVALID;
        for (OutcomeResult r = 0; r < _OUTCOME_RESULT_MAX; r++)
                if (streq(s, outcome_result_table[r]))
                        return r;
        return _OUTCOME_RESULT_INVALID;
}

const char *outcome_state_dir(void) {
        static char dir[PATH_MAX];
        const char *e;

        if (dir[0] != '\0')
                return dir;

        /* STATE_DIRECTORY lists one path per StateDirectory= entry, ':'-separated */
        e = secure_getenv("STATE_DIRECTORY");
        if (!isempty(e) && e[0] != ':')
                (void) snprintf(dir, sizeof(dir), "%.*s", (int) strcspn(e, ":"), e);
        else {
                e = test_seam_getenv(TEST_SEAM_STATE_DIR);
                (void) snprintf(dir, sizeof(dir), "%s", e ? e : "/var/lib/hostpm");
        }
        return dir;
}

void outcome_done(Outcome *o) {
        free(o->id);
        free(o->target);
        free(o->error);
        free(o->legs);
        *o = (Outcome) {0};
}

int outcome_add_leg(Outcome *o, const OutcomeLeg *leg) {
        OutcomeLeg *legs;

        legs = reallocarray(o->legs, o->n_legs + 1, sizeof *legs);
        if (!legs)
                return -ENOMEM;
        legs[o->n_legs++] = *leg;
        o->legs = legs;
        o->slept_usec += leg->slept_usec;
        return 0;
}

static int legs_to_json(const Outcome *o, json_object **ret) {
        _cleanup_(json_object_putp) json_object *a = json_object_new_array();

        if (!a)
                return -ENOMEM;
        for (size_t i = 0; i < o->n_legs; i++) {
                const OutcomeLeg *l = &o->legs[i];
                json_object *j = json_object_new_object();

                if (!j || json_object_array_add(a, j) < 0) {
                        json_object_put(j);
                        return -ENOMEM;
                }
                if (json_add(j, "target", json_object_new_string(sleep_target_to_string(l->target))) < 0 ||
                    json_add(j, "asked_usec", json_object_new_uint64(l->asked_usec)) < 0 ||
                    json_add(j, "slept_usec", json_object_new_uint64(l->slept_usec)) < 0 ||
                    json_add(j, "woken_by_alarm", json_object_new_boolean(l->woken_by_alarm)) < 0 ||
                    json_add(j, "alarm", json_object_new_uint64(l->alarm)) < 0 ||
                    json_add(j, "started_realtime_usec", json_object_new_uint64(l->started_realtime_usec)) < 0 ||
                    json_add(j, "resumed_realtime_usec", json_object_new_uint64(l->resumed_realtime_usec)) < 0)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(a);
        return 0;
}


static int outcome_to_json(const Outcome *o, json_object **ret) {
        _cleanup_(json_object_putp) json_object *j = json_object_new_object();
        const char *result = outcome_result_to_string(o->result);
        json_object *legs = NULL;

        if (!result)
                return -EINVAL;
        if (!j ||
            json_add(j, "id", json_object_new_string(o->id ? o->id : "")) < 0 ||
            json_add(j, "target", json_object_new_string(o->target ? o->target : "")) < 0 ||
            json_add(j, "result", json_object_new_string(result)) < 0 ||
            json_add(j, "error", json_object_new_string(o->error ? o->error : "")) < 0 ||
            json_add(j, "asked_usec", json_object_new_uint64(o->asked_usec)) < 0 ||
            json_add(j, "slept_usec", json_object_new_uint64(o->slept_usec)) < 0 ||
            json_add(j, "woken_by_alarm", json_object_new_boolean(o->woken_by_alarm)) < 0 ||
            json_add(j, "alarm", json_object_new_uint64(o->alarm)) < 0 ||
            json_add(j, "started_realtime_usec", json_object_new_uint64(o->started_realtime_usec)) < 0 ||
            json_add(j, "resumed_realtime_usec", json_object_new_uint64(o->resumed_realtime_usec)) < 0 ||
            json_add(j, "requester_uid", json_object_new_int64((int64_t) o->requester_uid)) < 0 ||
            json_add(j, "requester_pid", json_object_new_int64((int64_t) o->requester_pid)) < 0 ||
            legs_to_json(o, &legs) < 0 ||
            json_add(j, "legs", legs) < 0)
                return -ENOMEM;
        *ret = TAKE_PTR(j);
        return 0;
}

int outcome_write(const char *state_dir, const Outcome *o) {
        _cleanup_(json_object_putp) json_object *j = NULL;
        _cleanup_free_ char *text = NULL;
        int r;

        r = outcome_to_json(o, &j);
        if (r < 0)
                return r;
        if (asprintf(&text, "%s\n", json_object_to_json_string_ext(j, JSON_FORMAT_PRETTY)) < 0)
                return -ENOMEM;

        if (mkdir(state_dir, 0755) < 0 && errno != EEXIST)
                return negative_errno();

        /* status is for everyone to read, as the API says */
        return write_file_atomic(state_dir, OUTCOME_FILE_NAME, text, strlen(text), 0644);
}

/* One complete JSON object and nothing but whitespace after it. */
static int parse_object(const char *text, size_t size, json_object **ret) {
        _cleanup_(json_tokener_freep) json_tokener *tok = json_tokener_new();
        _cleanup_(json_object_putp) json_object *j = NULL;
        size_t end;

        if (!tok)
                return -ENOMEM;
        if (size > INT_MAX)
                return -EBADMSG;
        j = json_tokener_parse_ex(tok, text, (int) size);
        if (!j || json_tokener_get_error(tok) != json_tokener_success ||
            !json_object_is_type(j, json_type_object))
                return -EBADMSG;
        end = json_tokener_get_parse_end(tok);
        if (strspn(text + end, " \t\r\n") != size - end)
                return -EBADMSG;
        *ret = TAKE_PTR(j);
        return 0;
}

static int get_string(json_object *j, const char *key, char **ret) {
        json_object *v;
        char *s;

        if (!json_object_object_get_ex(j, key, &v) || !json_object_is_type(v, json_type_string))
                return -EBADMSG;
        s = strdup(json_object_get_string(v));
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}

static int get_uint64(json_object *j, const char *key, uint64_t max, uint64_t *ret) {
        json_object *v;
        uint64_t u;

        if (!json_object_object_get_ex(j, key, &v) || !json_object_is_type(v, json_type_int))
                return -EBADMSG;
        /* json-c clamps: a negative number reads as a negative int64 */
        if (json_object_get_int64(v) < 0)
                return -EBADMSG;
        u = json_object_get_uint64(v);
        if (u > max)
                return -EBADMSG;
        *ret = u;
        return 0;
}

static int get_bool(json_object *j, const char *key, bool *ret) {
        json_object *v;

        if (!json_object_object_get_ex(j, key, &v) || !json_object_is_type(v, json_type_boolean))
                return -EBADMSG;
        *ret = json_object_get_boolean(v);
        return 0;
}

/* Optional: a record of before legs has none. */
static int legs_from_json(json_object *j, Outcome *o) {
        json_object *a;
        size_t n;
        int r;

        if (!json_object_object_get_ex(j, "legs", &a))
                return 0;
        if (!json_object_is_type(a, json_type_array))
                return -EBADMSG;
        n = json_object_array_length(a);
        for (size_t i = 0; i < n; i++) {
                json_object *l = json_object_array_get_idx(a, i);
                _cleanup_free_ char *target = NULL;
                OutcomeLeg leg = {0}, *legs;

                if (!json_object_is_type(l, json_type_object))
                        return -EBADMSG;
                if ((r = get_string(l, "target", &target)) < 0 ||
                    (r = get_uint64(l, "asked_usec", UINT64_MAX, &leg.asked_usec)) < 0 ||
                    (r = get_uint64(l, "slept_usec", UINT64_MAX, &leg.slept_usec)) < 0 ||
                    (r = get_bool(l, "woken_by_alarm", &leg.woken_by_alarm)) < 0 ||
                    (r = get_uint64(l, "alarm", UINT64_MAX, &leg.alarm)) < 0 ||
                    (r = get_uint64(l, "started_realtime_usec", UINT64_MAX, &leg.started_realtime_usec)) < 0 ||
                    (r = get_uint64(l, "resumed_realtime_usec", UINT64_MAX, &leg.resumed_realtime_usec)) < 0)
                        return r;
                leg.target = sleep_target_from_string(target);
                if (leg.target < 0)
                        return -EBADMSG;
                /* the record's own slept_usec stands; only the list is read */
                legs = reallocarray(o->legs, o->n_legs + 1, sizeof *o->legs);
                if (!legs)
                        return -ENOMEM;
                o->legs = legs;
                o->legs[o->n_legs++] = leg;
        }
        return 0;
}

static int outcome_from_json(json_object *j, Outcome *ret) {
        _cleanup_free_ char *result = NULL;
        Outcome o = {0};
        uint64_t uid, pid;
        int r;

        if ((r = get_string(j, "id", &o.id)) < 0 ||
            (r = get_string(j, "target", &o.target)) < 0 ||
            (r = get_string(j, "result", &result)) < 0 ||
            (r = get_string(j, "error", &o.error)) < 0 ||
            (r = get_uint64(j, "asked_usec", UINT64_MAX, &o.asked_usec)) < 0 ||
            (r = get_uint64(j, "slept_usec", UINT64_MAX, &o.slept_usec)) < 0 ||
            (r = get_bool(j, "woken_by_alarm", &o.woken_by_alarm)) < 0 ||
            (r = get_uint64(j, "alarm", UINT64_MAX, &o.alarm)) < 0 ||
            (r = get_uint64(j, "started_realtime_usec", UINT64_MAX, &o.started_realtime_usec)) < 0 ||
            (r = get_uint64(j, "resumed_realtime_usec", UINT64_MAX, &o.resumed_realtime_usec)) < 0 ||
            (r = get_uint64(j, "requester_uid", UINT32_MAX, &uid)) < 0 ||
            (r = get_uint64(j, "requester_pid", INT32_MAX, &pid)) < 0 ||
            (r = legs_from_json(j, &o)) < 0) {
                outcome_done(&o);
                return r;
        }

        o.result = outcome_result_from_string(result);
        if (o.result < 0) {
                outcome_done(&o);
                return -EBADMSG;
        }
        o.requester_uid = (uid_t) uid;
        o.requester_pid = (pid_t) pid;
        *ret = o;
        return 0;
}

int outcome_read(const char *state_dir, Outcome *ret) {
        _cleanup_(json_object_putp) json_object *j = NULL;
        _cleanup_free_ char *path = NULL, *text = NULL;
        size_t size;
        int r;

        if (asprintf(&path, "%s/%s", state_dir, OUTCOME_FILE_NAME) < 0)
                return -ENOMEM;
        r = read_file_bounded(path, OUTCOME_SIZE_MAX, &text, &size);
        if (r == -EFBIG)
                return -EBADMSG;
        if (r < 0)
                return r;
        r = parse_object(text, size, &j);
        if (r < 0)
                return r;
        return outcome_from_json(j, ret);
}
