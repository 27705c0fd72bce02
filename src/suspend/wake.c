/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <arpa/inet.h>
#include <json-c/json.h>
#include <netinet/ether.h>
#include <strings.h>
#include <sys/socket.h>

#include "host-targets.h"
#include "hostlist.h"
#include "json-util.h"
#include "log.h"
#include "macro.h"
#include "net-interfaces.h"
#include "wake.h"
#include "wol.h"

int wake_parse_broadcast(const char *s, WakeArgs *a) {
        struct in_addr addr;

        /* dotted quad only: inet_aton() would also take "1" or "0x7f.1" */
        if (!s || inet_pton(AF_INET, s, &addr) != 1)
                return -EINVAL;
        a->broadcast = addr;
        a->broadcast_text = s;
        return 0;
}

int wake_parse_port(const char *s, uint16_t *ret) {
        unsigned long v;
        char *end;

        if (!s || !(s[0] >= '0' && s[0] <= '9'))
                return -EINVAL;
        errno = 0;
        v = strtoul(s, &end, 10);
        if (errno != 0 || *end != '\0' || v == 0 || v > 65535)
                return -EINVAL;
        *ret = (uint16_t) v;
        return 0;
}

typedef struct WakeTarget {
        char *name;                 /* as given, or an expanded host name */
        uint8_t mac[ETHER_ADDR_LEN_BYTES];
        bool have_mac;
        const char *error;          /* static: why nothing was sent */
        int errnum;                 /* with a failed send */
} WakeTarget;

/* A name to its MAC, through NSS's "ethers" database (/etc/ethers). */
static const char *lookup(const char *name, uint8_t mac[static ETHER_ADDR_LEN_BYTES]) {
        struct ether_addr e;

        if (ether_hostton(name, &e) != 0)
                return "unknown host: not in /etc/ethers; give its MAC (aa:bb:cc:dd:ee:ff) or add it there";
        memcpy(mac, e.ether_addr_octet, ETHER_ADDR_LEN_BYTES);
        if (!ether_addr_is_unicast(mac))
                return "/etc/ethers gives it a multicast or zero address, which is no NIC's";
        return NULL;
}

static int targets_add(WakeTarget **list, size_t *n, const char *name) {
        WakeTarget *l = realloc(*list, (*n + 1) * sizeof *l);

        if (!l)
                return -ENOMEM;
        *list = l;
        l[*n] = (WakeTarget) { .name = strdup(name) };
        if (!l[*n].name)
                return -ENOMEM;
        (*n)++;
        return 0;
}

static void targets_free(WakeTarget *list, size_t n) {
        for (size_t i = 0; i < n; i++)
                free(list[i].name);
        free(list);
}

/* MACs as they are; anything else is a host list of names to look up. */
static int resolve(char *const *args, size_t n_args, WakeTarget **ret, size_t *ret_n) {
        WakeTarget *list = NULL;
        size_t n = 0;
        int r = 0;

        for (size_t a = 0; r >= 0 && a < n_args; a++) {
                uint8_t mac[ETHER_ADDR_LEN_BYTES];
                HostTargets names = {0};

                if (ether_addr_from_string(args[a], mac) >= 0) {
                        r = targets_add(&list, &n, args[a]);
                        if (r >= 0) {
                                memcpy(list[n - 1].mac, mac, sizeof mac);
                                list[n - 1].have_mac = true;
                                if (!ether_addr_is_unicast(mac))
                                        list[n - 1].error = "a multicast or zero address is no NIC's; expected "
                                                            "the MAC of the host's interface";
                        }
                        continue;
                }
                /* a list is refused whole here, before anything is sent */
                r = host_targets_expand(&args[a], 1, &names);
                if (r < 0)
                        break;
                for (size_t i = 0; r >= 0 && i < names.n; i++) {
                        if (strchr(names.hosts[i], '@') || !hostlist_name_valid(names.hosts[i])) {
                                log_error("'%s' is neither a MAC (aa:bb:cc:dd:ee:ff) nor a host name", names.hosts[i]);
                                r = -EINVAL;
                                break;
                        }
                        r = targets_add(&list, &n, names.hosts[i]);
                        if (r >= 0) {
                                list[n - 1].error = lookup(names.hosts[i], list[n - 1].mac);
                                list[n - 1].have_mac = !list[n - 1].error;
                        }
                }
                host_targets_done(&names);
        }
        if (r < 0) {
                targets_free(list, n);
                return r == -ENOMEM ? log_oom() : r;
        }
        *ret = list;
        *ret_n = n;
        return 0;
}

static int open_socket(const WakeArgs *a) {
        _cleanup_close_ int fd = -1;
        int one = 1;

        fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return log_error_errno(negative_errno(), "Failed to open a UDP socket: %s", STRERROR(errno));
        if (setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof one) < 0)
                return log_error_errno(negative_errno(), "Failed to allow broadcasts: %s", STRERROR(errno));
        if (a->interface &&
            setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, a->interface, (socklen_t) strlen(a->interface)) < 0) {
                int r = negative_errno();

                if (r == -ENODEV)
                        return log_error_errno(r, "No interface '%s'; expected one of this host's, see: ip link",
                                               a->interface);
                return log_error_errno(r, "Failed to send out of '%s': %s", a->interface, STRERROR(r));
        }
        return TAKE_FD(fd);
}

static void report(const WakeTarget *t, const WakeArgs *a, OutputFormat output) {
        char mac[ETHER_ADDR_STRING_MAX];

        if (output == OUTPUT_JSON) {
                _cleanup_(json_object_putp) json_object *o = json_object_new_object();
                _cleanup_free_ char *error = NULL;

                if (t->error && asprintf(&error, "%s%s%s", t->error, t->errnum ? ": " : "",
                                         t->errnum ? STRERROR(t->errnum) : "") < 0)
                        error = NULL;
                if (!o || json_add(o, "target", json_object_new_string(t->name)) < 0 ||
                    (t->have_mac ? json_add(o, "mac", json_object_new_string(ether_addr_to_string(t->mac, mac)))
                                 : json_object_object_add(o, "mac", NULL)) < 0 ||
                    json_add(o, "sent", json_object_new_boolean(!t->error)) < 0 ||
                    json_add(o, "destination", json_object_new_string(a->broadcast_text)) < 0 ||
                    json_add(o, "port", json_object_new_int(a->port)) < 0 ||
                    (t->error ? json_add(o, "error", json_object_new_string(error ? error : t->error))
                              : json_object_object_add(o, "error", NULL)) < 0) {
                        log_oom();
                        return;
                }
                puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
                return;
        }
        if (t->error)
                log_error("%s: no magic packet sent: %s%s%s", t->name, t->error, t->errnum ? ": " : "",
                          t->errnum ? STRERROR(t->errnum) : "");
        else {
                ether_addr_to_string(t->mac, mac);
                printf("Sent a magic packet for %s%s%s%s to %s port %u%s%s.\n", t->name,
                       strcasecmp(t->name, mac) == 0 ? "" : " (", strcasecmp(t->name, mac) == 0 ? "" : mac,
                       strcasecmp(t->name, mac) == 0 ? "" : ")", a->broadcast_text, a->port,
                       a->interface ? " out of " : "", a->interface ? a->interface : "");
        }
}

int verb_wake(char *const *args, size_t n_args, const WakeArgs *a, OutputFormat output) {
        _cleanup_close_ int fd = -1;
        WakeTarget *targets = NULL;
        size_t n = 0, failed = 0;
        int r;

        r = resolve(args, n_args, &targets, &n);
        if (r < 0)
                return EXIT_USAGE;
        fd = open_socket(a);
        if (fd < 0) {
                targets_free(targets, n);
                return EXIT_FAILED;
        }

        for (size_t i = 0; i < n; i++) {
                WakeTarget *t = &targets[i];
                struct sockaddr_in dst = { .sin_family = AF_INET, .sin_port = htons(a->port), .sin_addr = a->broadcast };
                uint8_t packet[WOL_MAGIC_PACKET_SIZE];

                if (!t->error) {
                        wol_magic_packet_build(t->mac, packet);
                        if (sendto(fd, packet, sizeof packet, 0, (struct sockaddr *) &dst, sizeof dst) < 0) {
                                t->errnum = errno;
                                t->error = "sending failed";
                        }
                }
                failed += !!t->error;
                report(t, a, output);
        }
        targets_free(targets, n);
        return failed == 0 ? EXIT_OK : EXIT_FAILED;
}
