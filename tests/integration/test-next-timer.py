#!/usr/bin/python3
'''Waking for the next job, and staying awake for it.

--until=next-timer (ScheduleSuspendUntilNextTimer()): hostpmd reads the
timers of the bed's real `systemd --user` manager (real .timer units
written to its unit directory and started, with and without
WakeSystem=yes, on the calendar and on the monotonic clock) and wakes
NextTimerLead= before the earliest that counts (NextTimers=), or at the
asked time if that comes first. No timer that counts is a NoNextTimer
refusal that leaves nothing behind.

StayAwakeAfterWake=: after a resume, hostpmd holds a logind block
inhibitor for sleep (in the mock logind's list) until that long after the
resume, shows it in its properties and --status, and lets it go when the
time is up or when it exits; a hostpmd started later takes it again for
what is left.
'''

import os
import time

import dbus

import testbed
from testbed import check, check_equal, wait_for

from hostpmtest import (CYCLE_CONFIG, E, EXIT_REFUSED, HOUR, USEC, Signals, check_nothing_scheduled,
                        check_resumed, cli, hostpm_properties, run_cli, schedule, start, start_cycle, systemd,
                        unit_properties)

TIMER_IFACE = 'org.freedesktop.systemd1.Timer'
MESSAGE_NEXT_TIMER = 'e8d805cc123b4d249adccf19deff9ce5'
MESSAGE_STAY_AWAKE = '63b685be7fa64f7ab3784897408ede9a'
MINUTE = 60 * USEC


def add_timer(bed, name, wake_system=False, calendar_usec=None, active='1h'):
    '''A real timer of the bed's manager (and the service it would start),
    elapsing at calendar_usec (CLOCK_REALTIME, whole seconds) or `active`
    after it starts; returns its next elapse as the manager says it, in
    wall-clock time.'''
    when = (f'OnCalendar={time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(calendar_usec // USEC))} UTC'
            if calendar_usec else f'OnActiveSec={active}')
    with open(os.path.join(bed.unit_dir, f'{name}.timer'), 'w', encoding='utf-8') as f:
        f.write(f'[Timer]\n{when}\nWakeSystem={"yes" if wake_system else "no"}\nAccuracySec=1s\n')
    with open(os.path.join(bed.unit_dir, f'{name}.service'), 'w', encoding='utf-8') as f:
        f.write('[Service]\nType=oneshot\nExecStart=/bin/true\n')
    check_equal(bed.run(['systemctl', '--user', 'daemon-reload']).returncode, 0, 'daemon-reload')
    check_equal(bed.run(['systemctl', '--user', 'start', f'{name}.timer']).returncode, 0, f'start {name}.timer')
    p = unit_properties(bed, f'{name}.timer', TIMER_IFACE, 'NextElapseUSecRealtime', 'NextElapseUSecMonotonic',
                        'WakeSystem')
    check_equal(p['WakeSystem'], wake_system, f'{name}.timer WakeSystem=')
    if calendar_usec:
        check_equal(p['NextElapseUSecRealtime'], calendar_usec, f'{name}.timer elapses on the calendar')
        return calendar_usec
    # as systemctl list-timers turns the monotonic elapse into wall-clock time
    return p['NextElapseUSecMonotonic'] + time.clock_gettime_ns(time.CLOCK_REALTIME) // 1000 - \
        time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000


def whole_second(usec):
    return usec - usec % USEC


def in_hours(hours):
    return whole_second(time.time_ns() // 1000 + int(hours * HOUR))


def dry_run(bed, *args):
    plan = cli(bed, '--json', '--dry-run', *args).json()
    check_equal((plan['id'], plan['dry_run']), ('', True), 'a dry run')
    return plan


def next_timer_entry(bed, request_id):
    return wait_for(lambda: bed.journal.find(MESSAGE_ID=MESSAGE_NEXT_TIMER, HOSTPM_REQUEST_ID=request_id),
                    'the next-timer journal entry')


#
# --until=next-timer
#

def all_timers(bed):
    '''NextTimers=all: the earliest timer counts, WakeSystem= or not, and a
    timer on the monotonic clock is turned into wall-clock time; the host
    wakes NextTimerLead= before it, and the CLI, the reply, the pending
    request and the journal all say which timer decided. (This machine's
    kernel may have no RTC alarm timer, without which systemd cannot start
    a timer with WakeSystem=yes: that filter is proven by the unit tests
    and in the VM.)'''
    start(bed, config='[Suspend]\nNextTimers=all\nNextTimerLead=2min\n')
    early = add_timer(bed, 'early', active='1h')
    backup = add_timer(bed, 'backup', calendar_usec=in_hours(3))
    check_equal((hostpm_properties(bed)['NextTimers'], hostpm_properties(bed)['NextTimerLeadUSec']),
                ('all', 2 * MINUTE), 'the NextTimers and NextTimerLeadUSec properties')

    plan = dry_run(bed, '--until=next-timer')
    check_equal((plan['next_timer']['unit'], plan['next_timer']['decided']), ('early.timer', True),
                'the timer that decided')
    check(abs(plan['next_timer']['elapse_usec'] - early) <= USEC,
          f'its elapse in wall-clock time: {plan["next_timer"]} against {early}')
    check_equal(plan['wake_usec'], whole_second(plan['next_timer']['elapse_usec'] - 2 * MINUTE),
                'NextTimerLead= before it, in whole seconds')

    check_equal(bed.run(['systemctl', '--user', 'stop', 'early.timer']).returncode, 0, 'stop early.timer')
    plan = schedule(bed, '--until=next-timer', '--delay=30min')
    check_equal(plan['next_timer'], {'unit': 'backup.timer', 'elapse_usec': backup, 'decided': True},
                'the timer in the plan')
    check_equal(plan['wake_usec'], backup - 2 * MINUTE, 'the wake time: NextTimerLead= before the timer')
    p = hostpm_properties(bed)
    check_equal((p['PendingId'], p['PendingWakeUSec']), (plan['id'], backup - 2 * MINUTE), 'pending')
    (entry,) = next_timer_entry(bed, plan['id'])
    check_equal({k: entry.get(k) for k in ('HOSTPM_NEXT_TIMER', 'HOSTPM_NEXT_TIMER_USEC', 'HOSTPM_WAKE_USEC',
                                           'HOSTPM_WAKE_DECIDED_BY', 'HOSTPM_NEXT_TIMER_LEAD_USEC')},
                {'HOSTPM_NEXT_TIMER': 'backup.timer', 'HOSTPM_NEXT_TIMER_USEC': str(backup),
                 'HOSTPM_WAKE_USEC': str(backup - 2 * MINUTE), 'HOSTPM_WAKE_DECIDED_BY': 'timer',
                 'HOSTPM_NEXT_TIMER_LEAD_USEC': str(2 * MINUTE)}, 'the journal entry')
    cli(bed, '--cancel')

    text = cli(bed, '--dry-run', '--until=next-timer').stdout
    check('Waking for the next timer: backup.timer elapses at ' in text, f'the CLI names the timer: {text!r}')


def asked_time_first(bed):
    '''A duration or a wake time earlier than the timer wins, and the plan
    says the timer did not decide; a later one loses to the timer.'''
    start(bed, config='[Suspend]\nNextTimers=all\n')
    backup = add_timer(bed, 'backup', calendar_usec=in_hours(3))

    plan = dry_run(bed, '--until=next-timer', '1h')
    check_equal((plan['next_timer']['unit'], plan['next_timer']['decided'], plan['wake_usec'] - plan['suspend_usec']),
                ('backup.timer', False, HOUR), 'a 1h duration before a timer in 3h')
    text = cli(bed, '--until=next-timer', '--dry-run', '1h').stdout
    check('Waking at the asked time: it comes before the next timer, backup.timer, at ' in text,
          f'the CLI says the asked time came first: {text!r}')

    until = in_hours(1)
    plan = dry_run(bed, '--until=next-timer', f'--until=@{until // USEC}')
    check_equal((plan['next_timer']['decided'], plan['wake_usec']), (False, until),
                'a wake time in 1h before a timer in 3h')

    plan = dry_run(bed, '--until=next-timer', '5h')
    check_equal((plan['next_timer']['decided'], plan['wake_usec']), (True, backup - 3 * MINUTE),
                'a 5h duration after a timer in 3h')


def no_timers(bed):
    '''No timer at all, then only timers without WakeSystem=: NoNextTimer,
    a message that says what to do, exit status 6, nothing scheduled.'''
    watch = start(bed)
    check_equal([u[0] for u in systemd(bed).ListUnitsByPatterns(['active'], ['*.timer'])], [],
                'the bed\'s manager has no timer of its own')
    r = cli(bed, '--until=next-timer', status=EXIT_REFUSED)
    check('No systemd timer is waiting to elapse, so there is no next timer to wake for; nothing was '
          'scheduled.' in r.stderr, f'the refusal: {r.stderr!r}')
    check_nothing_scheduled(bed, watch)

    add_timer(bed, 'no-wake', active='1h')
    add_timer(bed, 'no-wake-either', calendar_usec=in_hours(2))
    r = cli(bed, '--until=next-timer', '2h', status=EXIT_REFUSED)
    check('None of the 2 systemd timers waiting to elapse has WakeSystem=yes' in r.stderr and
          'NextTimers=all in hostpm.conf' in r.stderr, f'the refusal: {r.stderr!r}')
    try:
        bed.bus.call_blocking('org.hostpm1', '/org/hostpm1', 'org.hostpm1.Manager', 'ScheduleSuspendUntilNextTimer',
                              'stttt', ['mem', 0, 0, 0, 0], timeout=30)
        check(False, 'the call succeeded')
    except dbus.exceptions.DBusException as e:
        check_equal(e.get_dbus_name(), E + 'NoNextTimer', 'the error')
    check_nothing_scheduled(bed, watch)


def too_soon(bed):
    '''A timer nearer than NextTimerLead= plus MinimumDuration=: refused,
    naming the timer; a duration and a wake time together are bad input.'''
    watch = start(bed, config='[Suspend]\nNextTimerLead=5min\nNextTimers=all\n')
    add_timer(bed, 'soon', active='4min')
    r = cli(bed, '--until=next-timer', status=EXIT_REFUSED)
    check('The next timer, soon.timer, elapses at ' in r.stderr and 'NextTimerLead=5min before it' in r.stderr
          and 'Let the job run first' in r.stderr, f'the refusal: {r.stderr!r}')
    try:
        bed.bus.call_blocking('org.hostpm1', '/org/hostpm1', 'org.hostpm1.Manager', 'ScheduleSuspendUntilNextTimer',
                              'stttt', ['mem', HOUR, in_hours(2), 0, 0], timeout=30)
        check(False, 'the call succeeded')
    except dbus.exceptions.DBusException as e:
        check_equal(e.get_dbus_name(), 'org.freedesktop.DBus.Error.InvalidArgs', 'both bounds')
    r = run_cli(bed, ['--until=next-timer', '--until=07:00', '1h'], uid=0)[1]
    check_equal(r.returncode, 2, f'DURATION and --until=TIME together: {r.stderr!r}')
    check_nothing_scheduled(bed, watch)


#
# StayAwakeAfterWake=
#

def hostpm_inhibitors(bed):
    return [tuple(str(x) for x in i[:4]) for i in bed.mocks['logind'].object.ListInhibitors(
        dbus_interface='org.freedesktop.login1.Manager') if str(i[1]) == 'hostpm']


def resume_once(bed):
    signals = Signals(bed)
    plan = schedule(bed, '2s')
    signals.finished(plan['id'])
    return check_resumed(bed, plan['id'], 'mem', 2), plan['id']


def stay_awake_held(bed):
    '''After the resume: a block inhibitor for sleep, in the properties and
    --status; hostpmd does not exit meanwhile; stopping hostpmd releases it
    and a new hostpmd holds it again until the same time.'''
    start_cycle(bed, config=CYCLE_CONFIG + 'StayAwakeAfterWake=1h\n')
    p, request_id = resume_once(bed)
    held = wait_for(lambda: hostpm_inhibitors(bed), 'hostpm\'s inhibitor')
    check_equal(len(held), 1, 'one inhibitor')
    what, _who, why, mode = held[0]
    check_equal((what, mode), ('sleep', 'block'), 'a block inhibitor for sleep')
    check(request_id in why, f'its why names the request: {why!r}')
    until = p['LastResumeUSec'] + HOUR
    wait_for(lambda: hostpm_properties(bed)['StayAwakeUntilUSec'] == until, 'StayAwakeUntilUSec')
    props = hostpm_properties(bed)
    check_equal((props['StayAwakeId'], props['StayAwakeAfterWakeUSec']), (request_id, HOUR), 'the properties')
    status = cli(bed, '--status', '--json').json()
    check_equal(status['stay_awake'], {'id': request_id, 'until_usec': until}, '--status --json')
    text = cli(bed, '--status').stdout
    check('Awake:   held until ' in text and f'after the resume of request {request_id}' in text,
          f'--status: {text!r}')
    (entry,) = wait_for(lambda: bed.journal.find(MESSAGE_ID=MESSAGE_STAY_AWAKE, HOSTPM_STAY_AWAKE='held'),
                        'the journal entry')
    check_equal((entry['HOSTPM_REQUEST_ID'], entry['HOSTPM_STAY_AWAKE_UNTIL_USEC']), (request_id, str(until)),
                'the held entry')

    check_equal(bed.run(['systemctl', '--user', 'stop', 'hostpmd.service']).returncode, 0, 'stop hostpmd')
    wait_for(lambda: hostpm_inhibitors(bed) == [], 'the inhibitor released with hostpmd')
    wait_for(lambda: hostpm_properties(bed)['StayAwakeUntilUSec'] == until,
             'a new hostpmd to hold it until the same time')
    check_equal(len(wait_for(lambda: hostpm_inhibitors(bed), 'the inhibitor again')), 1, 'one inhibitor')


def stay_awake_released(bed):
    '''The time up: the inhibitor goes, the properties say none, and the
    journal says it was released.'''
    start_cycle(bed, config=CYCLE_CONFIG + 'StayAwakeAfterWake=2s\n')
    _p, request_id = resume_once(bed)
    wait_for(lambda: bed.journal.find(MESSAGE_ID=MESSAGE_STAY_AWAKE, HOSTPM_STAY_AWAKE='released',
                                      HOSTPM_REQUEST_ID=request_id), 'the released entry')
    check_equal([str(c[1][1]) for c in bed.mocks['logind'].calls('Inhibit')], ['hostpm'], 'asked logind once')
    check_equal(len(bed.journal.find(MESSAGE_ID=MESSAGE_STAY_AWAKE, HOSTPM_STAY_AWAKE='held')), 1, 'held before')
    wait_for(lambda: hostpm_inhibitors(bed) == [], 'logind to see the inhibitor go')
    p = hostpm_properties(bed)
    check_equal((p['StayAwakeId'], p['StayAwakeUntilUSec']), ('', 0), 'the properties')
    check_equal(cli(bed, '--status', '--json').json()['stay_awake'], None, '--status --json')


def stay_awake_off(bed):
    '''StayAwakeAfterWake=0 (the default): no inhibitor after the resume.'''
    start_cycle(bed)
    resume_once(bed)
    check_equal(hostpm_properties(bed)['StayAwakeAfterWakeUSec'], 0, 'the default')
    check_equal([c for c in bed.mocks['logind'].calls('Inhibit')], [], 'Inhibit calls')


if __name__ == '__main__':
    testbed.main({
        'all-timers': all_timers,
        'asked-time-first': asked_time_first,
        'no-timers': no_timers,
        'too-soon': too_soon,
        'stay-awake-held': stay_awake_held,
        'stay-awake-released': stay_awake_released,
        'stay-awake-off': stay_awake_off,
    })
