#!/usr/bin/python3
'''Suspending for a time, end to end: hostpm-suspend asks hostpmd (D-Bus
activated by the bed's user manager), which checks, authorizes and hands
the suspend to that manager as a transient timer/service pair; the timer
fires the real hostpm-sleep, which sets the fake RTC's alarm and asks the
mock logind to sleep; the mock "sleeps" until the RTC's clock reaches the
alarm and wakes the host; the outcome is recorded and read back.

The fake RTC's clock runs two hours ahead of the system clock
(hostpmtest.start_cycle()), as an RTC kept in local time east of UTC does:
an alarm computed from the system clock instead of the RTC's own would be
off by two hours. hostpm.conf lowers Delay= to 1s and MinimumDuration= to
2s so that each case takes seconds.

Every refusal is checked for what it must not leave behind: no
hostpm-suspend.* unit in the manager, the RTC's wakealarm never written, no
sleep verb called. Waits are bounded polls; the checks are about order and
values, never about how long something took. (Authorization is in
test-polkit.py, bad input of every kind in test-input.py.)
'''

import os
import re
import signal
import time

import testbed
from testbed import check, check_equal

import buscapture
from hostpmtest import (ACTION_IGNORE_INHIBITORS, ACTION_SUSPEND, EXIT_BUSY, EXIT_NOT_AUTHORIZED,
                        EXIT_NOTHING_PENDING, EXIT_REFUSED, EXIT_SLEEP_FAILED, EXIT_TOO_LATE, HOSTPM_BUS,
                        OUTCOME_TIMEOUT, RTC_OFFSET, USEC, CYCLE_CONFIG, NOBODY, Signals, check_alarm_at_call,
                        check_nothing_scheduled, check_resumed, cli, client, hostpm_properties, hostpmd_pid,
                        journal, journal_entries, polkit_checks, schedule, sleep_records, sleeps, start_cycle,
                        systemctl_show, unit_states, wait_for_outcome, wait_for_sleep, wait_nothing_left, wakealarm)


#
# The whole cycle
#

def cycle(bed):
    '''Schedule; the reply reaches the caller before the timer fires; the
    timer starts hostpm-sleep with the request as its argv; the RTC holds
    the alarm, on its own clock, when logind gets SuspendWithFlags(1);
    the simulated sleep ends at the alarm; the outcome is recorded, sent as
    a signal and shown by --status; the alarm is cleared; the journal has
    the request's story with the requester's uid and pid.'''
    start_cycle(bed, logind={'HoldWake': True})
    signals = Signals(bed).seen
    with buscapture.BusCapture(bed) as capture:
        plan = schedule(bed, '3s')
        call = wait_for_sleep(bed)
    request_id = plan['id']
    check_equal((plan['target'], plan['dry_run'], plan['wake_usec'] - plan['suspend_usec']),
                ('mem', False, 3 * USEC), 'the plan')

    # The reply left before the timer fired: the bus carried it before
    # systemd's JobNew for the service the timer starts.
    messages = capture.messages()
    index = {id(m): i for i, m in enumerate(messages)}
    request = next(m for m in messages if m.get('member') == 'ScheduleSuspend')
    reply = next(m for m in messages if m['type'] == 'method_return' and
                 m.get('destination') == request['sender'] and m.get('reply_cookie') == request['cookie'])
    job = next(m for m in messages if m.get('member') == 'JobNew' and
               m['payload']['data'][2] == 'hostpm-suspend.service')
    check(index[id(reply)] < index[id(job)], 'the reply to ScheduleSuspend is sent before the timer '
          'starts hostpm-suspend.service')

    # Asleep (the mock holds the host asleep until told): hostpm-sleep runs
    # in the service with the request as its argv, and was the one to ask.
    check_equal((call['method'], call['flags'], call['error']), ('SuspendWithFlags', 1, ''),
                'the sleep call: with flags, SD_LOGIND_ROOT_CHECK_INHIBITORS')
    check_alarm_at_call(call, 3, plan)
    p = hostpm_properties(bed)
    check_equal((p['PendingId'], p['PendingState'], p['PendingTarget'], p['PendingRequesterUID']),
                (request_id, 'suspending', 'mem', 0), 'pending while asleep')
    shown = systemctl_show(bed, 'hostpm-suspend.service', 'ActiveState', 'ExecStart')
    check_equal(shown['ActiveState'], 'activating', 'the oneshot service while the host sleeps')
    argv = re.search(r'argv\[\]=([^;]*);', shown['ExecStart']).group(1).split()
    check_equal(argv, [os.environ['HOSTPM_SLEEP'], f'--id={request_id}', '--target=mem', '--seconds=3',
                       '--min-seconds=2', '--alarm-range=86399', '--rtc-device=rtc0',
                       '--requester-uid=0',
                       f'--requester-pid={plan["pid"]}'],
                "the helper's argv")
    check_equal(unit_states(bed), [('hostpm-suspend.service', 'activating'), ('hostpm-suspend.timer', 'active')],
                'the units while the host sleeps')

    # The wake-up
    bed.mocks['logind'].control.SetHoldWake(False)
    bed.iterate_until(lambda: any(name == 'SuspendFinished' for name, _ in signals), 'SuspendFinished',
                      timeout=OUTCOME_TIMEOUT)
    p = check_resumed(bed, request_id, 'mem', 3)
    finished = [args for name, args in signals if name == 'SuspendFinished']
    check_equal([a[:3] + a[4:] for a in finished], [[request_id, 'resumed', 3 * USEC, True, '']],
                'SuspendFinished(id, result, asked, slept, woken, error)')
    check_equal([args for name, args in signals if name == 'SuspendScheduled'],
                [[request_id, 'mem', plan['suspend_usec'], plan['wake_usec']]], 'SuspendScheduled')

    # The mock slept from its call until the RTC reached the alarm; the
    # helper saw the sleep start after that and end after the wake-up.
    (s,) = sleeps(bed)
    check_equal((s['verb'], s['by_alarm']), ('Suspend', True), 'the simulated sleep')
    check(s['end'] - s['start'] >= call['alarm'] - call['rtc'] - 0.01,
          f'the mock slept until the alarm: {s}, {call}')
    started, resumed = p['LastSuspendUSec'] / USEC, p['LastResumeUSec'] / USEC
    check(s['start'] <= started <= s['end'] <= resumed,
          f'the outcome\'s times bracket the sleep: started {started}, resumed {resumed}, {s}')

    status = cli(bed, '--status', '--json').json()
    check_equal(status['pending'], None, '--status: pending')
    last = status['last']
    check_equal((last['id'], last['target'], last['result'], last['asked_usec'], last['woken_by_alarm'],
                 last['suspend_usec'], last['resume_usec']),
                (request_id, 'mem', 'resumed', 3 * USEC, True, p['LastSuspendUSec'], p['LastResumeUSec']),
                '--status: last')
    text = cli(bed, '--status').stdout
    check(f'request {request_id} to mem: resumed' in text and 'woken by the RTC alarm' in text,
          f'--status in words: {text!r}')

    # The journal: who asked, what was set, how it ended.
    requester = {'HOSTPM_REQUESTER_UID': '0', 'HOSTPM_REQUESTER_PID': str(plan['pid']),
                 'HOSTPM_TARGET': 'mem', 'HOSTPM_ASKED_USEC': str(3 * USEC)}
    for kind, unit in (('scheduled', 'hostpmd.service'), ('started', 'hostpm-suspend.service'),
                       ('resumed', 'hostpm-suspend.service')):
        (e,) = journal_entries(bed, kind, request_id)
        check_equal({k: e.get(k) for k in requester}, requester, f'the {kind} entry\'s request fields')
        check_equal(e.get('_SYSTEMD_UNIT', unit), unit, f'who sent the {kind} entry')
    check_equal(journal(bed, 'STARTED', request_id)[0]['HOSTPM_ALARM'], str(call['alarm']),
                'the alarm in the started entry')
    check_equal(journal(bed, 'RESUMED', request_id)[0]['HOSTPM_WOKEN_BY_ALARM'], '1',
                'woken by the alarm, in the resumed entry')
    for kind in ('refused', 'denied', 'cancelled', 'failed'):
        check_equal(journal(bed, kind), [], f'{kind} entries')


def status_while_suspending(bed):
    '''While the host sleeps, the status still says when it wakes.'''
    start_cycle(bed, logind={'HoldWake': True})
    plan = schedule(bed, '2s')
    wait_for_sleep(bed)
    p = hostpm_properties(bed)
    text = cli(bed, '--status').stdout
    bed.mocks['logind'].control.SetHoldWake(False)
    check_resumed(bed, plan['id'], 'mem', 2)

    check_equal((p['PendingId'], p['PendingState'], p['PendingDurationUSec']),
                (plan['id'], 'suspending', 2 * USEC), 'pending while asleep')
    check(p['PendingWakeUSec'] >= plan['wake_usec'] - USEC,
          f'PendingWakeUSec while asleep: {p["PendingWakeUSec"]}, planned wake {plan["wake_usec"]}')
    check('wakes at about ?' not in text, f'--status while asleep: {text!r}')


def helper_hardening(bed):
    '''The transient service runs hostpm-sleep with the hardening hostpmd
    asks for, all of it applied by the manager (the service runs), and the
    RTC's wakealarm the one file it may write.'''
    start_cycle(bed, logind={'HoldWake': True})
    plan = schedule(bed, '2s')
    wait_for_sleep(bed)
    shown = systemctl_show(bed, 'hostpm-suspend.service', 'Type', 'CollectMode', 'StateDirectory',
                            'NoNewPrivileges', 'ProtectSystem', 'ProtectHome', 'PrivateTmp', 'PrivateDevices',
                            'PrivateNetwork', 'ProtectKernelTunables', 'ProtectKernelModules',
                            'ProtectKernelLogs', 'ProtectControlGroups', 'ProtectClock', 'ProtectHostname',
                            'RestrictRealtime', 'RestrictSUIDSGID', 'LockPersonality',
                            'MemoryDenyWriteExecute', 'CapabilityBoundingSet', 'RestrictAddressFamilies',
                            'SystemCallArchitectures', 'UMask', 'ReadWritePaths', 'SystemCallFilter',
                            'Description')
    bed.mocks['logind'].control.SetHoldWake(False)
    check_resumed(bed, plan['id'], 'mem', 2)

    syscalls = shown.pop('SystemCallFilter')
    check(plan['id'] in shown.pop('Description'), 'the description names the request')
    check_equal(shown, {
        'Type': 'oneshot', 'CollectMode': 'inactive-or-failed', 'StateDirectory': 'hostpm',
        'NoNewPrivileges': 'yes', 'ProtectSystem': 'strict', 'ProtectHome': 'yes', 'PrivateTmp': 'yes',
        'PrivateDevices': 'yes', 'PrivateNetwork': 'yes', 'ProtectKernelTunables': 'yes',
        'ProtectKernelModules': 'yes', 'ProtectKernelLogs': 'yes', 'ProtectControlGroups': 'yes',
        'ProtectClock': 'yes', 'ProtectHostname': 'yes', 'RestrictRealtime': 'yes',
        'RestrictSUIDSGID': 'yes', 'LockPersonality': 'yes', 'MemoryDenyWriteExecute': 'yes',
        'CapabilityBoundingSet': '', 'RestrictAddressFamilies': 'AF_UNIX',
        'SystemCallArchitectures': 'native', 'UMask': '0077',
        'ReadWritePaths': os.path.realpath(bed.wakealarm_path),
    }, 'hostpm-suspend.service as it runs')
    # @system-service, minus @privileged (which would take chown, setuid, …)
    allowed = set(syscalls.split())
    check('read' in allowed and 'write' in allowed, f'an allow list of system calls: {syscalls[:200]}')
    leaked = sorted(allowed & {'chown', 'fchown', 'setuid', 'setgroups', 'setresuid', 'capset', 'chroot'})
    check_equal(leaked, [], 'privileged system calls the helper may make (SystemCallFilter=~@privileged)')


#
# Targets
#

def target_case(target, verb):
    def test(bed):
        start_cycle(bed)
        plan = schedule(bed, f'--target={target}', '2s')
        check_resumed(bed, plan['id'], target, 2)
        calls = sleep_records(bed)
        check_equal([(c['method'], c['flags']) for c in calls], [(f'{verb}WithFlags', 1)],
                    f'the logind verb for {target}')
        check_alarm_at_call(calls[0], 2, plan)
    test.__doc__ = f'--target={target} is logind\'s {verb}WithFlags().'
    return test


def unsupported_target(bed):
    '''logind says the host cannot hibernate: refused before anything is
    scheduled, naming the target and logind's answer.'''
    watch = start_cycle(bed, logind={'CanHibernate': 'no'})
    r = cli(bed, '--target=disk', '2s', status=EXIT_REFUSED)
    check("'disk'" in r.stderr and "'no'" in r.stderr, f'the error names target and answer: {r.stderr!r}')
    check_nothing_scheduled(bed, watch)
    journal_entries(bed, 'REFUSED')


def hibernate_refusals(bed):
    '''A hibernation the kernel could not write or no boot could read back
    is refused before anything is scheduled, naming the problem and what
    would do: no swap, a swap smaller than the image (the smaller of
    image_size and the memory in use, plus 4 MiB), no resume device, a
    resume device that is missing.'''
    watch = start_cycle(bed)
    need = (1015808 - 839680) // 1024 + 4  # the bed's memory in use, MiB, and the kernel's I/O pages
    for name, facts, targets, words in (
            ('no swap', dict(swap_kib=0), ['disk', 'hybrid', 'suspend-then-hibernate'],
             ['no swap is active', f'needs about {need} MiB']),
            ('only zram', dict(swaps=[('/dev/zram0', 'partition', 1048572, 0)]), ['disk'],
             ['no swap is active', 'zram']),
            ('swap too small', dict(swap_kib=2044), ['disk', 'hybrid'],
             ['swap too small: 2 MiB free', f'the image needs about {need} MiB']),
            ('swap mostly used', dict(swap_used_kib=1048572 - 100 * 1024), ['disk'],
             ['swap too small: 100 MiB free (of 1024 MiB)']),
            ('image_size above what fits', dict(swap_kib=100 * 1024, image_size=150 * 2**20, mem_free_kib=0),
             ['disk'], ['swap too small', 'needs about 154 MiB']),
            ('resume 0:0', dict(resume='0:0'), ['disk', 'suspend-then-hibernate'],
             ['no resume device', 'power/resume is 0:0', 'resume=']),
            ('resume device missing', dict(resume='8:3', resume_present=False), ['hybrid'],
             ['resume device 8:3', 'is missing'])):
        bed.make_hibernation(**facts)
        for target in targets:
            r = cli(bed, f'--target={target}', '2s', status=EXIT_REFUSED)
            for w in words + [f"'{target}'"]:
                check(w in r.stderr, f'{name}, --target={target}: the error says {w!r}: {r.stderr!r}')
            check_nothing_scheduled(bed, watch)
        # mem writes no image
        cli(bed, '--target=mem', '--dry-run', '2s')
    journal_entries(bed, 'REFUSED', count=11)
    # image_size below the memory in use: the kernel frees memory down to
    # it, so a swap that holds image_size does
    bed.make_hibernation(swap_kib=60 * 1024, image_size=50 * 2**20)
    plan = schedule(bed, '--target=disk', '2s')
    check_resumed(bed, plan['id'], 'disk', 2)


def hibernate_image_fails(bed):
    '''The kernel cannot write the image: systemd-hibernate.service fails,
    though the snapshot alone moved the clock (suspend_stats/success here).
    Recorded as failed with systemd's word, and the alarm cleared.'''
    for target in ('disk', 'hybrid'):
        if target == 'disk':
            start_cycle(bed, logind={'ImageWriteFails': True})
        plan = schedule(bed, f'--target={target}', '2s')
        p = wait_for_outcome(bed, plan['id'])
        unit = 'systemd-hibernate.service' if target == 'disk' else 'systemd-hybrid-sleep.service'
        check_equal(p['LastResult'], 'failed', f'--target={target}: the outcome ({p["LastError"]!r})')
        for w in (f'{unit} failed', 'exit-code', 'exit status 1'):
            check(w in p['LastError'], f'--target={target}: the error says {w!r}: {p["LastError"]!r}')
        check_equal(wakealarm(bed), '0', f'--target={target}: the alarm is cleared')
        wait_nothing_left(bed, 'after the failed hibernation')


def hibernate_no_swap_na(bed):
    '''With no swap logind answers "na"; the refusal names the swap too.'''
    bed.make_rtc()
    bed.make_hibernation(swap_kib=0)
    watch = start_cycle(bed, logind={'CanHibernate': 'na'})
    r = cli(bed, '--target=disk', '2s', status=EXIT_REFUSED)
    for w in ("'disk'", "logind answered 'na'", 'no swap is active'):
        check(w in r.stderr, f'the error says {w!r}: {r.stderr!r}')
    check_nothing_scheduled(bed, watch)


def target_not_allowed(bed):
    '''AllowedTargets= in hostpm.conf narrows what logind supports.'''
    watch = start_cycle(bed, config=CYCLE_CONFIG + 'AllowedTargets=mem\n')
    r = cli(bed, '--target=hybrid', '2s', status=EXIT_REFUSED)
    check('AllowedTargets=' in r.stderr, f'the error names the setting: {r.stderr!r}')
    check_nothing_scheduled(bed, watch)


def refusals(bed):
    '''Bad input of every kind, straight over D-Bus: the named error, and
    nothing scheduled.'''
    watch = start_cycle(bed)
    now = int(time.time())
    for method, args, error in (
            ('ScheduleSuspend', ['sleepy', 2 * USEC, 0, 0], 'InvalidTarget'),
            ('ScheduleSuspend', ['mem', 0, 0, 0], 'DurationOutOfRange'),
            ('ScheduleSuspend', ['mem', 1 * USEC, 0, 0], 'DurationOutOfRange'),
            ('ScheduleSuspend', ['mem', 2**64 - 1, 0, 0], 'DurationOutOfRange'),
            ('ScheduleSuspend', ['mem', 2 * USEC, 0, 4], 'InvalidFlags'),
            ('ScheduleSuspendUntil', ['mem', (now - 60) * USEC, 0, 0], 'WakeTimeInPast'),
            ('ScheduleSuspendUntil', ['mem', (now + 86400 * 400) * USEC, 0, 0], 'DurationOutOfRange')):
        answer = client(bed, method, 'sttt', args, user=0)
        check_equal(answer.get('error'), f'org.hostpm1.Error.{error}', f'{method}{args}: {answer}')
        check(answer['message'], f'{method}{args}: the error says why')
    check_nothing_scheduled(bed, watch)
    journal_entries(bed, 'REFUSED', count=7)


#
# Cancelling, busy
#

def cancel(bed):
    '''Cancel before the timer fires: the units go, logind is never asked,
    the alarm never set; a second cancel finds nothing.'''
    watch = start_cycle(bed)
    signals = Signals(bed).seen
    plan = schedule(bed, '--delay=3s', '2s')
    r = cli(bed, '--cancel')
    check_equal(r.stdout, f'Cancelled request {plan["id"]}.\n', 'what --cancel says')
    wait_nothing_left(bed, 'the cancelled units to go')
    # past the moment the timer would have fired
    testbed.wait_for(lambda: time.time() * USEC > plan['suspend_usec'] + USEC, 'the planned suspend time')
    check_nothing_scheduled(bed, watch)
    check_equal(journal(bed, 'STARTED'), [], 'started entries')
    journal_entries(bed, 'CANCELLED', plan['id'])
    bed.iterate_until(lambda: ('SuspendCancelled', [plan['id']]) in signals, 'SuspendCancelled')
    r = cli(bed, '--cancel', status=EXIT_NOTHING_PENDING)
    check('nothing to cancel' in r.stderr, f'the second cancel: {r.stderr!r}')


def cancel_too_late(bed):
    '''Once the helper has asked logind, cancel is TooLate, names the
    request, and the suspend goes on to its wake-up.'''
    start_cycle(bed, logind={'HoldWake': True})
    plan = schedule(bed, '2s')
    wait_for_sleep(bed)
    r = cli(bed, '--cancel', status=EXIT_TOO_LATE)
    check(plan['id'] in r.stderr and 'Too late' in r.stderr, f'the error: {r.stderr!r}')
    check_equal(hostpm_properties(bed)['PendingState'], 'suspending', 'still suspending')
    bed.mocks['logind'].control.SetHoldWake(False)
    check_resumed(bed, plan['id'], 'mem', 2)
    check_equal(journal(bed, 'CANCELLED'), [], 'cancelled entries')


def busy(bed):
    '''One request at a time: the second is refused naming the first, which
    stays as it was.'''
    start_cycle(bed)
    plan = schedule(bed, '--delay=60s', '2s')
    testbed.wait_for(lambda: ('hostpm-suspend.timer', 'active') in unit_states(bed), 'the timer to start')
    before = unit_states(bed)
    r = cli(bed, '--target=disk', '5s', status=EXIT_BUSY)
    check(plan['id'] in r.stderr, f'the error names the pending request: {r.stderr!r}')
    check_equal(unit_states(bed), before, 'the units of the first request')
    p = hostpm_properties(bed)
    check_equal((p['PendingId'], p['PendingState'], p['PendingTarget']), (plan['id'], 'scheduled', 'mem'),
                'still pending')
    journal_entries(bed, 'REFUSED')
    check_equal(sleep_records(bed), [], 'sleep calls')


def dry_run(bed):
    '''--dry-run checks and authorizes, and schedules nothing.'''
    watch = start_cycle(bed)
    plan = cli(bed, '--json', '--dry-run', '2s').json()
    check_equal((plan['id'], plan['dry_run'], plan['wake_usec'] - plan['suspend_usec']), ('', True, 2 * USEC),
                'the dry run\'s plan')
    r = cli(bed, '--dry-run', '2s')
    check(r.stdout.startswith('Dry run: allowed.'), f'in words: {r.stdout!r}')
    check_nothing_scheduled(bed, watch)
    check_equal(journal(bed, 'SCHEDULED'), [], 'scheduled entries')


#
# Inhibitors
#

BACKUP = {'what': 'sleep', 'who': 'backup', 'why': 'copying the disks'}


def inhibitor_present(bed):
    '''A block inhibitor on sleep: the helper refuses before it touches the
    alarm, says who inhibits, and --wait reports it.'''
    watch = start_cycle(bed, logind={'BlockInhibitor': BACKUP})
    r = cli(bed, '--wait', '2s', status=EXIT_SLEEP_FAILED)
    request_id = re.search('request ([0-9a-f]{32})', r.stdout).group(1)
    check(f'Request {request_id} refused' in r.stdout and 'backup' in r.stdout, f'--wait: {r.stdout!r}')
    p = wait_for_outcome(bed, request_id)
    check_equal(p['LastResult'], 'refused', 'the outcome')
    check('copying the disks' in p['LastError'], f'the reason: {p["LastError"]!r}')
    check_nothing_scheduled(bed, watch, settle=True)
    journal_entries(bed, 'REFUSED', request_id)


def ignore_inhibitors_needs_action(bed):
    '''--ignore-inhibitors is a polkit action of its own, asked after the
    suspend itself.'''
    watch = start_cycle(bed, logind={'BlockInhibitor': BACKUP}, polkit={'Allowed': [ACTION_SUSPEND]})
    r = cli(bed, '--ignore-inhibitors', '2s', user=NOBODY, status=EXIT_NOT_AUTHORIZED)
    check(ACTION_IGNORE_INHIBITORS in r.stderr, f'the error names the action: {r.stderr!r}')
    check_equal([c[2] for c in polkit_checks(bed)], [ACTION_SUSPEND, ACTION_IGNORE_INHIBITORS], 'asked polkit')
    check_nothing_scheduled(bed, watch)


def ignore_inhibitors(bed):
    '''Authorized to ignore inhibitors: the helper does not look at them
    and does not ask logind to (flags 0); the host sleeps.'''
    start_cycle(bed, logind={'BlockInhibitor': BACKUP},
          polkit={'Allowed': [ACTION_SUSPEND, ACTION_IGNORE_INHIBITORS]})
    plan = schedule(bed, '--ignore-inhibitors', '2s', user=NOBODY)
    check_resumed(bed, plan['id'], 'mem', 2)
    check_equal([(c['method'], c['flags']) for c in sleep_records(bed)], [('SuspendWithFlags', 0)],
                'the sleep call, without SD_LOGIND_ROOT_CHECK_INHIBITORS')
    check_equal(bed.mocks['logind'].calls('ListInhibitors'), [], 'ListInhibitors calls')


#
# The RTC and logind failing
#

def rtc_missing(bed):
    watch = start_cycle(bed, rtc={'present': False})
    r = cli(bed, '2s', status=EXIT_REFUSED)
    check('no wake alarm' in r.stderr, f'the error: {r.stderr!r}')
    check_nothing_scheduled(bed, watch)


def rtc_wakeup_disabled(bed):
    watch = start_cycle(bed, rtc={'wakeup': 'disabled'})
    r = cli(bed, '2s', status=EXIT_REFUSED)
    check('power/wakeup' in r.stderr, f'the error says what to enable: {r.stderr!r}')
    check_nothing_scheduled(bed, watch)


def readback_mismatch(bed):
    '''An RTC that does not keep the alarm written (wakealarm is /dev/null
    here): the helper fails before logind is asked.'''
    start_cycle(bed)
    os.unlink(bed.wakealarm_path)
    os.symlink('/dev/null', bed.wakealarm_path)
    plan = schedule(bed, '2s')
    p = wait_for_outcome(bed, plan['id'])
    check_equal(p['LastResult'], 'failed', 'the outcome')
    check('did not keep the alarm' in p['LastError'], f'the reason: {p["LastError"]!r}')
    wait_nothing_left(bed, 'the failed units to go')
    check_equal(sleep_records(bed), [], 'sleep verbs logind was asked for')
    journal_entries(bed, 'FAILED', plan['id'])


def logind_refuses(bed):
    '''logind says no to the sleep: the alarm set for it is cleared and the
    outcome says why.'''
    start_cycle(bed, logind={'SuspendError': 'org.freedesktop.DBus.Error.AccessDenied',
                       'SuspendErrorMessage': 'not today'})
    plan = schedule(bed, '2s')
    p = wait_for_outcome(bed, plan['id'])
    check_equal(p['LastResult'], 'failed', 'the outcome')
    check('AccessDenied' in p['LastError'] and 'not today' in p['LastError'], f'the reason: {p["LastError"]!r}')
    (call,) = sleep_records(bed)
    check_equal(call['error'], 'org.freedesktop.DBus.Error.AccessDenied', 'the call was refused')
    check_alarm_at_call(call, 2, plan)
    check(wakealarm(bed) in ('', '0'), f'the alarm is cleared: {wakealarm(bed)!r}')
    wait_nothing_left(bed, 'the failed units to go')


#
# The daemon's life
#


def daemon_restart(bed):
    '''hostpmd holds no state: killed with a request pending, the next call
    starts a new one that sees the request and can cancel it.'''
    start_cycle(bed)
    plan = schedule(bed, '--delay=60s', '2s')
    old = hostpmd_pid(bed)
    os.kill(old, signal.SIGKILL)
    testbed.wait_for(lambda: not bed.name_has_owner(HOSTPM_BUS), 'hostpmd to be gone')
    status = cli(bed, '--status', '--json').json()
    check_equal((status['pending']['id'], status['pending']['state'], status['pending']['target']),
                (plan['id'], 'scheduled', 'mem'), 'the pending request, seen by the new hostpmd')
    check(hostpmd_pid(bed) not in (0, old), 'a new hostpmd')
    r = cli(bed, '--cancel')
    check_equal(r.stdout, f'Cancelled request {plan["id"]}.\n', 'the new hostpmd cancels it')
    wait_nothing_left(bed, 'the cancelled units to go')


def idle_exit(bed):
    '''hostpmd exits when idle (cleanly, giving up its name) and the next
    call starts it again.'''
    start_cycle(bed, env={'HOSTPM_IDLE_TIMEOUT_USEC': USEC})
    cli(bed, '--status')
    first = hostpmd_pid(bed)
    testbed.wait_for(lambda: not bed.name_has_owner(HOSTPM_BUS), 'hostpmd to exit when idle')
    testbed.wait_for(lambda: systemctl_show(bed, 'hostpmd.service', 'ActiveState')['ActiveState'] == 'inactive',
                     'hostpmd.service to stop')
    check_equal(systemctl_show(bed, 'hostpmd.service', 'Result')['Result'], 'success', 'how hostpmd ended')
    cli(bed, '--status')
    check(hostpmd_pid(bed) not in (0, first), 'activated again')


def idle_waits_for_pending(bed):
    '''Not idle while a request is pending: the same hostpmd sees it
    through (the timer fires after several idle timeouts) and sends
    SuspendFinished, then exits.'''
    start_cycle(bed, logind={'HoldWake': True}, env={'HOSTPM_IDLE_TIMEOUT_USEC': USEC // 2})
    watch = Signals(bed)
    signals = watch.seen
    plan = schedule(bed, '--delay=3s', '2s')
    pid = hostpmd_pid(bed)
    owner = str(bed.bus.get_name_owner(HOSTPM_BUS))
    wait_for_sleep(bed)
    check_equal(hostpmd_pid(bed), pid, 'the hostpmd that scheduled it, while the host sleeps')
    bed.mocks['logind'].control.SetHoldWake(False)
    bed.iterate_until(lambda: any(n == 'SuspendFinished' for n, _ in signals), 'SuspendFinished',
                      timeout=OUTCOME_TIMEOUT)
    # by its bus name: it may be gone, idle, by the time its pid is asked
    check_equal([s for n, s in watch.senders if n == 'SuspendFinished'], [owner],
                'the hostpmd that sent SuspendFinished (its unique bus name)')
    testbed.wait_for(lambda: not bed.name_has_owner(HOSTPM_BUS), 'hostpmd to exit when idle again')
    check_equal([a[0:2] for n, a in signals if n == 'SuspendFinished'], [[plan['id'], 'resumed']],
                'SuspendFinished')


#
# The CLI's other ways in
#

def until(bed):
    '''--until=@EPOCH: the alarm is set for that wall-clock time, on the
    RTC's clock.'''
    start_cycle(bed)
    # time for the helper to start and wait for the RTC's tick, which it
    # must have to set an alarm at least MinimumDuration= (2s) ahead
    wake = int(time.time()) + 10
    plan = schedule(bed, f'--until=@{wake}')
    check_equal(plan['wake_usec'], wake * USEC, 'the planned wake time')
    p = wait_for_outcome(bed, plan['id'])
    check_equal((p['LastResult'], p['LastWokenByAlarm']), ('resumed', True), 'the outcome')
    (call,) = sleep_records(bed)
    # whole seconds: the helper's and the RTC's clocks may each be one tick on
    check(wake - 1 <= call['alarm'] - RTC_OFFSET <= wake,
          f'the alarm is {wake} on the RTC\'s clock ({RTC_OFFSET} s ahead): {call}')
    check_equal(bed.mocks['logind'].calls('SuspendWithFlags'), [('SuspendWithFlags', [1])], 'the sleep call')


def wait(bed):
    '''--wait follows the request to the resume and says how it went.'''
    start_cycle(bed)
    r = cli(bed, '--wait', '2s')
    check(re.search(r'^Scheduled request [0-9a-f]{32}', r.stdout, re.M), f'the plan first: {r.stdout!r}')
    # the wall-clock "suspend to resume took …" may come inside or after the brackets
    check(re.search(r'^Resumed: slept .*\(asked 2s[;)].*[ ,]woken by the RTC alarm[;.]', r.stdout, re.M),
          f'then the resume: {r.stdout!r}')


CASES = {
    'cycle': cycle,
    'status-while-suspending': status_while_suspending,
    'helper-hardening': helper_hardening,
    'target-disk': target_case('disk', 'Hibernate'),
    'target-hybrid': target_case('hybrid', 'HybridSleep'),
        'unsupported-target': unsupported_target,
    'target-not-allowed': target_not_allowed,
    'hibernate-refusals': hibernate_refusals,
    'hibernate-no-swap-na': hibernate_no_swap_na,
    'hibernate-image-fails': hibernate_image_fails,
    'refusals': refusals,
    'cancel': cancel,
    'cancel-too-late': cancel_too_late,
    'busy': busy,
    'dry-run': dry_run,
    'inhibitor-present': inhibitor_present,
    'ignore-inhibitors-needs-action': ignore_inhibitors_needs_action,
    'ignore-inhibitors': ignore_inhibitors,
    'rtc-missing': rtc_missing,
    'rtc-wakeup-disabled': rtc_wakeup_disabled,
    'readback-mismatch': readback_mismatch,
    'logind-refuses': logind_refuses,
    'daemon-restart': daemon_restart,
    'idle-exit': idle_exit,
    'idle-waits-for-pending': idle_waits_for_pending,
    'until': until,
    'wait': wait,
}

if __name__ == '__main__':
    testbed.main(CASES)
