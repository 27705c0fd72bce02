/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <json-c/json.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "json-util.h"
#include "log.h"
#include "net-info.h"
#include "timespan.h"

/* a few hundred bytes per interface; more is not an answer */
#define NET_INFO_ANSWER_MAX (256 * 1024)

struct NetInfo {
        sd_event *event;
        NetInterfaces answer;
        uint64_t answered_usec;        /* CLOCK_MONOTONIC; 0: never */

        /* the question out */
        int fd;
        sd_event_source *io, *timeout;
        char *buf;
        size_t size;
        void (*done)(void *userdata);
        void *userdata;
};

int net_info_new(sd_event *event, NetInfo **ret) {
        NetInfo *n = calloc(1, sizeof *n);

        if (!n)
                return -ENOMEM;
        n->event = sd_event_ref(event);
        n->fd = -1;
        *ret = n;
        return 0;
}

static void question_end(NetInfo *n) {
        n->io = sd_event_source_disable_unref(n->io);
        n->timeout = sd_event_source_disable_unref(n->timeout);
        closep(&n->fd);
        n->fd = -1;
        free(n->buf);
        n->buf = NULL;
        n->size = 0;
}

NetInfo *net_info_free(NetInfo *n) {
        if (!n)
                return NULL;
        question_end(n);
        net_interfaces_done(&n->answer);
        sd_event_unref(n->event);
        free(n);
        return NULL;
}

bool net_info_busy(const NetInfo *n) {
        return n && n->io;
}

const NetInterfaces *net_info_get(const NetInfo *n) {
        return &n->answer;
}

/* Ends the question with this answer (or failure) and tells the waiter. */
static void answered(NetInfo *n, NetInterfaces *answer) {
        void (*done)(void *) = n->done;

        question_end(n);
        net_interfaces_done(&n->answer);
        n->answer = *answer;
        *answer = (NetInterfaces) {0};
        n->answered_usec = clock_now_usec(CLOCK_MONOTONIC);
        n->done = NULL;
        if (done)
                done(n->userdata);
}

static void failed(NetInfo *n, int error, const char *what) {
        _cleanup_(net_interfaces_done) NetInterfaces a = {0};
        _cleanup_free_ char *message = NULL;

        log_warning("Failed to read the network interfaces from hostpm-netinfo: %s", what);
        if (asprintf(&message, "hostpm-netinfo: %s", what) < 0)
                message = NULL;
        (void) net_interfaces_set_error(&a, error, message ? message : what);
        answered(n, &a);
}

static void parse_answer(NetInfo *n) {
        _cleanup_(net_interfaces_done) NetInterfaces a = {0};
        _cleanup_(json_object_putp) json_object *o = NULL;
        int r;

        o = n->buf ? json_tokener_parse(n->buf) : NULL;
        r = o ? net_interfaces_from_json(o, &a) : -EBADMSG;
        if (r < 0)
                failed(n, r, "its answer is not the expected JSON");
        else
                answered(n, &a);
}

static int on_readable(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        NetInfo *n = userdata;
        char chunk[4096], *p;
        ssize_t k;

        k = read(fd, chunk, sizeof chunk);
        if (k < 0) {
                if (IN_SET(errno, EAGAIN, EINTR))
                        return 0;
                failed(n, negative_errno(), STRERROR(errno));
                return 0;
        }
        if (k == 0) {
                parse_answer(n);
                return 0;
        }
        if (n->size + (size_t) k > NET_INFO_ANSWER_MAX) {
                failed(n, -EMSGSIZE, "its answer is too long");
                return 0;
        }
        p = realloc(n->buf, n->size + (size_t) k + 1);
        if (!p) {
                failed(n, -ENOMEM, STRERROR(ENOMEM));
                return 0;
        }
        memcpy(p + n->size, chunk, (size_t) k);
        n->buf = p;
        n->size += (size_t) k;
        n->buf[n->size] = '\0';
        return 0;
}

static int on_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        failed(userdata, -ETIMEDOUT, "no answer within 5s");
        return 0;
}

int net_info_refresh(NetInfo *n, void (*done)(void *userdata), void *userdata) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX, .sun_path = NET_INFO_SOCKET_PATH };
        uint64_t now = clock_now_usec(CLOCK_MONOTONIC);
        int r;

        if (net_info_busy(n))
                return -EBUSY;
        if (n->answered_usec > 0 && now - n->answered_usec < NET_INFO_CACHE_USEC)
                return 0;

        n->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (n->fd < 0)
                return negative_errno();
        if (connect(n->fd, (struct sockaddr *) &sa, sizeof sa) < 0) {
                _cleanup_(net_interfaces_done) NetInterfaces none = {0};

                r = negative_errno();
                question_end(n);
                if (r == -ENOENT) {
                        /* not installed here: the document says nothing about interfaces */
                        log_debug("%s does not exist; no network interfaces reported", NET_INFO_SOCKET_PATH);
                        n->done = NULL;
                        answered(n, &none);
                        return 0;
                }
                n->done = NULL;
                failed(n, r, STRERROR(r));
                return 0;
        }
        /* it reads nothing: say so, so a connection never waits on us */
        (void) shutdown(n->fd, SHUT_WR);

        r = sd_event_add_io(n->event, &n->io, n->fd, EPOLLIN, on_readable, n);
        if (r >= 0)
                r = sd_event_add_time_relative(n->event, &n->timeout, CLOCK_MONOTONIC, NET_INFO_TIMEOUT_USEC, 0,
                                               on_timeout, n);
        if (r < 0) {
                question_end(n);
                return r;
        }
        n->done = done;
        n->userdata = userdata;
        return 1;
}
