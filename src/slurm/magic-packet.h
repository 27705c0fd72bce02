/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The Wake-on-LAN magic packet: six bytes 0xff, then the MAC sixteen
 * times, sent as a UDP broadcast (no privilege needed), which a NIC armed
 * for magic-packet wake recognizes anywhere in a frame. */

#include <stdint.h>

#define MAGIC_PACKET_SIZE (6 + 16 * 6)

void magic_packet_build(const unsigned char mac[6], unsigned char ret[MAGIC_PACKET_SIZE]);

/* Sends it `repeat` times to broadcast:port (an IPv4 address). */
int magic_packet_send(const unsigned char mac[6], const char *broadcast, uint16_t port, unsigned repeat);
