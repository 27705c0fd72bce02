/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A polkit text agent for the duration of one call, as systemctl does it:
 * pkttyagent asks for a password on our terminal when hostpmd's polkit
 * check needs one. */

#include <sys/types.h>

/* Starts pkttyagent if stdin is a terminal and it exists; returns its pid
 * (> 0), 0 when no agent is wanted or possible, < 0 on failure. */
pid_t polkit_agent_open(void);
void polkit_agent_close(pid_t pid);
