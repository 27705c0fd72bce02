/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* One item at a time: an item is parsed into segments (text, or a bracket
 * of ranges), counted, then expanded as a mixed-radix odometer whose
 * leftmost bracket turns slowest, the order Slurm prints. */

#include <stdbool.h>

#include "hostlist.h"
#include "macro.h"

static size_t min_size(size_t a, size_t b) {
        return a < b ? a : b;
}

typedef struct Range {
        unsigned long lo, hi;
        int width;               /* digits of lo as written: its zero padding */
} Range;

typedef struct Segment {
        const char *text;        /* TEXT segment: text[0..len) */
        size_t len;
        Range *ranges;           /* bracket segment: NULL for text */
        size_t n_ranges;
        size_t count;            /* values in the bracket */
} Segment;

typedef struct Parser {
        const char *start, *p;
        HostlistError error;

        Segment *segments;       /* of the item being parsed */
        size_t n_segments;

        char **hosts;
        size_t n_hosts;
} Parser;

static bool is_name_char(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '-' || c == '.' || c == '_';
}

static bool is_space(char c) {
        return c == ' ' || c == '\t' || c == '\n';
}

static bool is_digit(char c) {
        return c >= '0' && c <= '9';
}

static int fail_at(Parser *p, const char *where, int r, const char *reason) {
        p->error = (HostlistError) { .offset = (size_t) (where - p->start), .reason = reason };
        return r;
}

bool hostlist_name_valid(const char *s) {
        size_t n;

        if (isempty(s) || !(is_name_char(s[0]) && s[0] != '-' && s[0] != '.'))
                return false;
        n = strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._");
        return s[n] == '\0' && n <= HOSTLIST_NAME_MAX;
}

void hostlist_free(char **hosts) {
        for (char **h = hosts; h && *h; h++)
                free(*h);
        free(hosts);
}

static void segments_clear(Parser *p) {
        for (size_t i = 0; i < p->n_segments; i++)
                free(p->segments[i].ranges);
        free(p->segments);
        p->segments = NULL;
        p->n_segments = 0;
}

static int segment_add(Parser *p, Segment s) {
        Segment *n = realloc(p->segments, (p->n_segments + 1) * sizeof *n);

        if (!n) {
                free(s.ranges);
                return -ENOMEM;
        }
        p->segments = n;
        p->segments[p->n_segments++] = s;
        return 0;
}

static int parse_number(Parser *p, unsigned long *ret, int *ret_width) {
        const char *begin = p->p;
        unsigned long v = 0;

        if (!is_digit(*p->p))
                return fail_at(p, p->p, -EINVAL, "expected a number in '[...]'");
        while (is_digit(*p->p)) {
                if (p->p - begin >= HOSTLIST_DIGITS_MAX)
                        return fail_at(p, begin, -EINVAL, "number too long in '[...]'");
                v = v * 10 + (unsigned long) (*p->p - '0');
                p->p++;
        }
        *ret = v;
        *ret_width = (int) (p->p - begin);
        return 0;
}

/* at '[': the ranges up to and including ']' */
static int parse_bracket(Parser *p) {
        const char *open = p->p;
        Segment s = {0};
        int r;

        p->p++;
        for (;;) {
                const char *at = p->p;
                Range range;
                Range *n;
                int width;

                r = parse_number(p, &range.lo, &range.width);
                if (r < 0)
                        goto fail;
                range.hi = range.lo;
                if (*p->p == '-') {
                        p->p++;
                        r = parse_number(p, &range.hi, &width);
                        if (r < 0)
                                goto fail;
                }
                /* the syntax first, then what the numbers mean */
                if (!IN_SET(*p->p, ',', ']')) {
                        if (*p->p == '\0')
                                r = fail_at(p, open, -EINVAL, "'[' is not closed");
                        else
                                r = fail_at(p, p->p, -EINVAL, "expected ',' or ']' after a range");
                        goto fail;
                }
                if (range.hi < range.lo) {
                        r = fail_at(p, at, -EINVAL, "range runs backwards");
                        goto fail;
                }
                if (range.hi - range.lo >= HOSTLIST_HOSTS_MAX ||
                    s.count + (range.hi - range.lo + 1) > HOSTLIST_HOSTS_MAX) {
                        r = fail_at(p, at, -E2BIG, "too many hosts");
                        goto fail;
                }
                n = realloc(s.ranges, (s.n_ranges + 1) * sizeof *n);
                if (!n) {
                        r = -ENOMEM;
                        goto fail;
                }
                s.ranges = n;
                s.ranges[s.n_ranges++] = range;
                s.count += range.hi - range.lo + 1;

                if (*p->p == ']') {
                        p->p++;
                        return segment_add(p, s);
                }
                p->p++;
        }
fail:
        free(s.ranges);
        return r;
}

/* value number k of a bracket, in the order written */
static unsigned long bracket_value(const Segment *s, size_t k, int *ret_width) {
        for (size_t i = 0;; i++) {
                size_t size = s->ranges[i].hi - s->ranges[i].lo + 1;

                if (k < size || i + 1 == s->n_ranges) {
                        *ret_width = s->ranges[i].width;
                        return s->ranges[i].lo + k;
                }
                k -= size;
        }
}

static int expand_item(Parser *p, const char *item) {
        _cleanup_free_ size_t *digits = NULL;
        size_t count = 1;
        char **n;

        for (size_t i = 0; i < p->n_segments; i++)
                if (p->segments[i].ranges) {
                        if (p->segments[i].count > HOSTLIST_HOSTS_MAX / count)
                                return fail_at(p, item, -E2BIG, "too many hosts");
                        count *= p->segments[i].count;
                }
        if (count > HOSTLIST_HOSTS_MAX - p->n_hosts)
                return fail_at(p, item, -E2BIG, "too many hosts");

        n = realloc(p->hosts, (p->n_hosts + count + 1) * sizeof *n);
        if (!n)
                return -ENOMEM;
        p->hosts = n;
        p->hosts[p->n_hosts] = NULL;
        digits = calloc(p->n_segments, sizeof *digits);
        if (!digits)
                return -ENOMEM;

        for (size_t k = 0; k < count; k++) {
                char name[HOSTLIST_NAME_MAX + 2];
                size_t len = 0, rest = k;

                /* the last bracket turns fastest */
                for (size_t i = p->n_segments; i-- > 0;)
                        if (p->segments[i].ranges) {
                                digits[i] = rest % p->segments[i].count;
                                rest /= p->segments[i].count;
                        }

                for (size_t i = 0; i < p->n_segments && len <= HOSTLIST_NAME_MAX; i++) {
                        const Segment *s = &p->segments[i];
                        int w, k2;

                        if (!s->ranges) {
                                size_t m = min_size(s->len, HOSTLIST_NAME_MAX + 1 - len);

                                memcpy(name + len, s->text, m);
                                len += m;
                                continue;
                        }
                        unsigned long v = bracket_value(s, digits[i], &w);
                        k2 = snprintf(name + len, sizeof name - len, "%0*lu", w, v);
                        len = k2 < 0 ? sizeof name : min_size(len + (size_t) k2, HOSTLIST_NAME_MAX + 1);
                }
                if (len > HOSTLIST_NAME_MAX)
                        return fail_at(p, item, -EINVAL, "host name too long");
                name[len] = '\0';
                if (name[0] == '-' || name[0] == '.')
                        return fail_at(p, item, -EINVAL, "a host name starts with a letter, digit or '_'");

                p->hosts[p->n_hosts] = strdup(name);
                if (!p->hosts[p->n_hosts])
                        return -ENOMEM;
                p->hosts[++p->n_hosts] = NULL;
        }
        return 0;
}

/* at the first character of an item */
static int parse_item(Parser *p) {
        const char *item = p->p;
        int r;

        segments_clear(p);
        while (*p->p != '\0' && *p->p != ',' && !is_space(*p->p)) {
                if (*p->p == '[') {
                        r = parse_bracket(p);
                        if (r < 0)
                                return r;
                } else if (is_name_char(*p->p)) {
                        const char *t = p->p;

                        while (is_name_char(*p->p))
                                p->p++;
                        r = segment_add(p, (Segment) { .text = t, .len = (size_t) (p->p - t) });
                        if (r < 0)
                                return r;
                } else if (*p->p == ']')
                        return fail_at(p, p->p, -EINVAL, "']' without '['");
                else
                        return fail_at(p, p->p, -EINVAL,
                                       "unexpected character; expected letters, digits, '-', '.', '_' and '[N-M]'");
        }
        if (p->p == item)
                return fail_at(p, item, -EINVAL, "empty host name");
        return expand_item(p, item);
}

int hostlist_expand(const char *text, char ***ret, size_t *ret_n, HostlistError *ret_error) {
        Parser p = { .start = text, .p = text };
        int r = 0;

        p.p += strspn(p.p, " \t\n");
        if (*p.p == '\0')
                r = fail_at(&p, p.p, -EINVAL, "empty host list");

        while (r >= 0 && *p.p != '\0') {
                r = parse_item(&p);
                if (r < 0)
                        break;
                /* one separator: white space, at most one comma */
                p.p += strspn(p.p, " \t\n");
                if (*p.p == ',') {
                        p.p++;
                        p.p += strspn(p.p, " \t\n");
                        if (*p.p == '\0' || *p.p == ',')
                                r = fail_at(&p, p.p, -EINVAL, "empty host name");
                }
        }
        segments_clear(&p);

        if (r < 0) {
                hostlist_free(p.hosts);
                if (ret_error)
                        *ret_error = r == -ENOMEM ? (HostlistError) { 0, "out of memory" } : p.error;
                return r;
        }
        *ret = p.hosts;
        if (ret_n)
                *ret_n = p.n_hosts;
        return 0;
}

typedef struct Indexed {
        const char *name;
        size_t index;
} Indexed;

static int compare_indexed(const void *a, const void *b) {
        const Indexed *x = a, *y = b;
        int c = strcmp(x->name, y->name);

        return c != 0 ? c : (x->index > y->index) - (x->index < y->index);
}

int hostlist_find_duplicate(char *const *hosts, size_t n, size_t *ret_first, size_t *ret_second) {
        _cleanup_free_ Indexed *v = NULL;
        size_t best_first = 0, best_second = SIZE_MAX;

        if (n < 2)
                return 0;
        v = calloc(n, sizeof *v);
        if (!v)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                v[i] = (Indexed) { hosts[i], i };
        qsort(v, n, sizeof *v, compare_indexed);

        /* equal names sort by index: the pair to report is a run's first
         * two, and of all runs the one whose second comes earliest */
        for (size_t i = 1; i < n; i++)
                if (streq(v[i].name, v[i - 1].name) && (i < 2 || !streq(v[i - 2].name, v[i].name)) &&
                    v[i].index < best_second) {
                        best_first = v[i - 1].index;
                        best_second = v[i].index;
                }
        if (best_second == SIZE_MAX)
                return 0;
        *ret_first = best_first;
        *ret_second = best_second;
        return 1;
}
