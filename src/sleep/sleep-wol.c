/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "log.h"
#include "net-interfaces.h"
#include "sleep-wol.h"

static void log_failure(const char *ifname, int r, const WolInfo *before) {
        char modes[WOL_MODES_STRING_MAX];

        switch (r) {
        case -EOPNOTSUPP:
                log_warning("Wake-on-LAN not armed on %s: it cannot wake on a magic packet (it supports: %s); "
                            "continuing, the RTC alarm wakes the host.", ifname,
                            before->supported ? wol_modes_to_string(before->supported, modes) : "nothing");
                break;
        case -ENODEV:
                log_warning("Wake-on-LAN not armed on %s: there is no such interface; continuing, the RTC alarm "
                            "wakes the host.", ifname);
                break;
        case -EPERM:
                log_warning("Wake-on-LAN not armed on %s: not permitted (the helper's service lacks "
                            "CAP_NET_ADMIN or the host's network); continuing, the RTC alarm wakes the host.",
                            ifname);
                break;
        default:
                log_warning("Wake-on-LAN not armed on %s: %s; continuing, the RTC alarm wakes the host.", ifname,
                            STRERROR(r));
        }
}

unsigned sleep_arm_wake_on_lan(const char *list) {
        _cleanup_close_ int fd = -1;
        unsigned armed = 0;

        if (isempty(list))
                return 0;
        fd = net_ioctl_socket();
        if (fd < 0) {
                log_warning("Wake-on-LAN not armed on %s: no socket for the ethtool interface: %s; continuing, "
                            "the RTC alarm wakes the host.", list, STRERROR(fd));
                return 0;
        }

        for (const char *p = list; *p; p += *p == ',') {
                size_t n = strcspn(p, ",");
                char ifname[IFNAMSIZ_MAX + 1];
                WolInfo before = {0};
                int r;

                if (n > IFNAMSIZ_MAX) {  /* sleep-args.c checked the names: never */
                        p += n;
                        continue;
                }
                memcpy(ifname, p, n);
                ifname[n] = '\0';
                p += n;

                r = net_interface_arm_magic(fd, ifname, &before);
                if (r < 0) {
                        log_failure(ifname, r, &before);
                        continue;
                }
                log_info(r > 0 ? "Armed Wake-on-LAN by magic packet on %s." :
                                 "Wake-on-LAN by magic packet was already armed on %s.", ifname);
                armed++;
        }
        return armed;
}
