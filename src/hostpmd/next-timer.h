/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* ScheduleSuspendUntilNextTimer(): a schedule whose wake time is chosen
 * from the host's systemd timers (next-timer-plan.h). The request goes
 * through suspend-request.c's steps like any other; once the host's
 * capabilities are known, the timers are read from PID 1 without waiting
 * for it (one ListUnitsByPatterns(), then every timer's properties at
 * once), and the plan is made before polkit is asked. */

#include <stdint.h>
#include <systemd/sd-bus.h>

typedef struct SuspendRequest SuspendRequest;
typedef struct NextTimerWait NextTimerWait;

/* Journal entry of a schedule made for the next timer: which timer, when
 * it elapses, the wake time chosen and whether the timer decided it. */
#define HOSTPM_MESSAGE_NEXT_TIMER "e8d805cc123b4d249adccf19deff9ce5"

int method_schedule_suspend_until_next_timer(sd_bus_message *message, void *userdata, sd_bus_error *error);

/* The hooks suspend-request.c calls for a request with r->next_timer set. */
/* After the capabilities: reads the timers, then request_authorize(r), or fails r. */
void next_timer_wait_start(SuspendRequest *r);
/* After polkit: the choice made again from the moment of the authorization. */
int next_timer_retime(SuspendRequest *r, uint64_t now_realtime_usec, sd_bus_error *error);
/* The reply (r->id empty: a dry run), and the journal entry when scheduled. */
int next_timer_reply(SuspendRequest *r);
NextTimerWait *next_timer_wait_free(NextTimerWait *w);
