/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <arpa/inet.h>
#include <sys/socket.h>

#include "macro.h"
#include "magic-packet.h"

void magic_packet_build(const unsigned char mac[6], unsigned char ret[MAGIC_PACKET_SIZE]) {
        memset(ret, 0xff, 6);
        for (int i = 0; i < 16; i++)
                memcpy(ret + 6 + 6 * i, mac, 6);
}

int magic_packet_send(const unsigned char mac[6], const char *broadcast, uint16_t port, unsigned repeat) {
        struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(port) };
        unsigned char packet[MAGIC_PACKET_SIZE];
        _cleanup_close_ int fd = -1;
        int one = 1;

        if (inet_pton(AF_INET, broadcast, &to.sin_addr) != 1)
                return -EINVAL;
        fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return negative_errno();
        if (setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof one) < 0)
                return negative_errno();
        magic_packet_build(mac, packet);
        for (unsigned i = 0; i < repeat; i++)
                if (sendto(fd, packet, sizeof packet, 0, (struct sockaddr *) &to, sizeof to) != sizeof packet)
                        return negative_errno();
        return 0;
}
