#!/usr/bin/python3
'''Suspending for a time, end to end: hostpm-suspend asks hostpmd (D-Bus
activated by the bed's user manager), which checks, authorizes and hands
the suspend to that manager as a transient timer/service pair; the timer
fires the real hostpm-sleep, which sets the fake RTC's alarm and asks the
mock logind to sleep; the mock "sleeps" until the RTC's clock reaches the
alarm and wakes the host; the outcome is recorded and read back.

The fake RTC's clock ticks (bed.start_rtc_clock()) two hours ahead of the
system clock, as an RTC kept in local time east of UTC is: an alarm computed
from the system clock instead of the RTC's own would be off by two hours.
hostpm.conf lowers Delay= to 1s and MinimumDuration= to 2s so that each case
takes seconds.

Every refusal is checked for what it must not leave behind: no
hostpm-suspend.* unit in the manager, the RTC's wakealarm never written, no
sleep verb called. Waits are bounded polls; the checks are about order and
values, never about how long something took.

Run one case by hand: see README.md; `--client` is a helper that makes one
call to hostpmd with dbus-python (so a test can run it as another user, with
or without the allow-interactive-authorization flag) and prints the answer
as JSON.
'''

import json
import os
import re
import signal
import sys
import time

import testbed
from testbed import check, check_equal

import buscapture

try:
    import dbus
except ImportError:
    dbus = None

HERE = os.path.dirname(os.path.abspath(__file__))
THIS = os.path.abspath(__file__)

HOSTPM = 'org.hostpm1'
HOSTPM_PATH = '/org/hostpm1'
HOSTPM_IFACE = 'org.hostpm1.Manager'
POLKIT = 'org.freedesktop.PolicyKit1'
POLKIT_PATH = '/org/freedesktop/PolicyKit1/Authority'
ACTION_SUSPEND = 'org.hostpm1.suspend'
ACTION_CANCEL = 'org.hostpm1.cancel'
ACTION_IGNORE_INHIBITORS = 'org.hostpm1.ignore-inhibitors'
INTERACTIVE_AUTHORIZATION_REQUIRED = 'org.freedesktop.DBus.Error.InteractiveAuthorizationRequired'

# hostpm-suspend's documented exit codes
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_CAPABILITIES_UNKNOWN, EXIT_NOT_AUTHORIZED = 0, 1, 2, 3, 4
EXIT_BUSY, EXIT_REFUSED, EXIT_NOTHING_PENDING, EXIT_TOO_LATE, EXIT_SLEEP_FAILED = 5, 6, 7, 8, 9

# journal-event.h: fixed forever, so pinned here
MESSAGE_IDS = {
    'scheduled': '415f63ea417c490d98fdfae2c351b52f',
    'refused': 'cbb6ef8269bd4efeb6ecd6e37c6a711c',
    'denied': '2bdf18cc37454698b8974f3c4621589b',
    'cancelled': 'fd9223c704584aa3b6d66083dd9a3ab0',
    'started': 'a06fb9b437c444e98a88ae1c0b6d3bb1',
    'resumed': '0487318ec72c4f6b8fc1d3d4a5952d0b',
    'failed': 'ef4cd7c73e284ee78656da2c114fdfd9',
}

RTC_OFFSET = 7200  # seconds the fake RTC runs ahead of the system clock
NOBODY = 65534     # an unprivileged caller
FAST_CONFIG = '[Suspend]\nDelay=1s\nMinimumDuration=2s\n'
USEC = 1000000
OUTCOME_TIMEOUT = 40  # a bound on waiting for a request to end


#
# The bed, as these cases use it
#

def start(bed, logind=None, polkit=None, rtc=None, config=FAST_CONFIG, env=None):
    '''hostpmd activatable, logind (mock parameters, default all "yes"),
    polkit (our template's parameters; None: no polkit on the bus), the
    fake RTC with its clock ticking. Returns the wakealarm's state, for
    check_nothing_scheduled().'''
    if config is not None:
        with open(os.path.join(bed.hostpm_config_dir, 'hostpm.conf'), 'w', encoding='utf-8') as f:
            f.write(config)
    bed.setenv(**(env or {}))
    bed.start(logind={} if logind is None else logind, rtc=rtc, hostpmd=True)
    if polkit is not None:
        bed.start_mock('polkitd', os.path.join(HERE, 'templates', 'polkit.py'), POLKIT, POLKIT_PATH, polkit)
    bed.start_rtc_clock(RTC_OFFSET)
    return wakealarm_state(bed)


def wakealarm_state(bed):
    '''(content, mtime) of the wakealarm file, or None without one.'''
    try:
        st = os.lstat(bed.wakealarm_path)
        with open(bed.wakealarm_path, encoding='ascii') as f:
            return f.read(), st.st_mtime_ns
    except FileNotFoundError:
        return None


def wakealarm(bed):
    with open(bed.wakealarm_path, encoding='ascii') as f:
        return f.read().strip()


def systemd(bed):
    return dbus.Interface(bed.bus.get_object('org.freedesktop.systemd1', '/org/freedesktop/systemd1',
                                             introspect=False), 'org.freedesktop.systemd1.Manager')


def units(bed):
    '''hostpm-suspend.* units the manager has loaded: [(name, active state)].'''
    return sorted((str(u[0]), str(u[3])) for u in systemd(bed).ListUnitsByPatterns(
        dbus.Array([], signature='s'), ['hostpm-suspend.*']))


def wait_for_no_units(bed, what):
    '''The manager unloads stopped units (and garbage-collects failed
    ones) a moment after the job ends.'''
    testbed.wait_for(lambda: not units(bed), what, interval=0.05)


def unit_properties(bed, unit, *names):
    r = bed.run(['systemctl', '--user', 'show', unit, '-p', ','.join(names)])
    check_equal(r.returncode, 0, f'systemctl show {unit}')
    return dict(line.split('=', 1) for line in r.stdout.splitlines() if '=' in line)


def properties(bed):
    '''hostpmd's properties (activating it if need be).'''
    obj = bed.bus.get_object(HOSTPM, HOSTPM_PATH, introspect=False)
    values = dbus.Interface(obj, 'org.freedesktop.DBus.Properties').GetAll(HOSTPM_IFACE)
    return {str(k): (str(v) if isinstance(v, dbus.String) else
                     bool(v) if isinstance(v, dbus.Boolean) else
                     [str(x) for x in v] if isinstance(v, dbus.Array) else int(v))
            for k, v in values.items()}


def sleep_calls(bed):
    '''Every sleep verb logind was asked for, with the alarm and the RTC's
    clock at the moment of the call.'''
    return [{'method': str(m), 'flags': int(f), 'alarm': int(a), 'rtc': int(r), 'time': float(t),
             'error': str(e)} for m, f, a, r, t, e in bed.mocks['logind'].control.GetSleepCalls()]


def sleeps(bed):
    return [{'verb': str(v), 'start': float(s), 'end': float(e), 'by_alarm': bool(b)}
            for v, s, e, b in bed.mocks['logind'].control.GetSleeps()]


def logind_calls(bed, method):
    return bed.mocks['logind'].calls(method)


def polkit_checks(bed):
    '''CheckAuthorization() calls: [(subject kind, subject name, action, details, flags)].'''
    return [(str(args[0][0]), str(args[0][1].get('name', '')), str(args[1]),
             {str(k): str(v) for k, v in args[2].items()}, int(args[3]))
            for _name, args in bed.mocks['polkitd'].calls('CheckAuthorization')]


def journal(bed, kind, request_id=None):
    match = {'MESSAGE_ID': MESSAGE_IDS[kind]}
    if request_id is not None:
        match['HOSTPM_REQUEST_ID'] = request_id
    return bed.journal.find(**match)


def journal_entries(bed, kind, request_id=None, count=1):
    '''Exactly `count` entries of this kind, waiting for them: the fake
    journal reads its socket in a thread of its own, so an entry sent
    before a reply may be filed after the reply is read.'''
    testbed.wait_for(lambda: len(journal(bed, kind, request_id)) >= count,
                     f'{count} {kind} journal entries', interval=0.02)
    entries = journal(bed, kind, request_id)
    check_equal(len(entries), count, f'{kind} journal entries')
    return entries


def check_nothing_scheduled(bed, untouched, settle=False):
    '''Nothing in the manager, the RTC alarm never written, logind never
    asked to sleep. settle: the helper ran, so its failed unit may need a
    moment to be collected.'''
    if settle:
        wait_for_no_units(bed, 'hostpm-suspend.* to be collected')
    check_equal(units(bed), [], 'hostpm-suspend.* units in the manager')
    check_equal(wakealarm_state(bed), untouched, 'the RTC wakealarm file (never written)')
    check_equal(sleep_calls(bed), [], 'sleep verbs logind was asked for')
    check_equal(properties(bed)['PendingState'], '', 'PendingState')


class Result:
    def __init__(self, run, pid, stdout):
        self.returncode = run.returncode
        self.stdout = stdout
        self.stderr = run.stderr
        self.pid = pid

    def json(self):
        return json.loads(self.stdout)


def cli(bed, *args, user=None, interactive=False, status=EXIT_OK, env=None):
    '''Runs hostpm-suspend (as `user` if given) and checks its exit status.
    Without `interactive` it never asks for a password, so it does not set
    the allow-interactive-authorization flag. The result knows the CLI's
    PID, which hostpmd should log as the requester's.'''
    argv = ['sh', '-c', 'echo $$; exec "$0" "$@"', bed.cli] + \
        ([] if interactive else ['--no-ask-password']) + list(args)
    r = bed.run_as(user, argv, env=env) if user is not None else bed.run(argv, env=env)
    pid, _, stdout = r.stdout.partition('\n')
    check_equal(r.returncode, status, f'exit status of hostpm-suspend {" ".join(args)} '
                f'(stdout {stdout!r}, stderr {r.stderr!r})')
    return Result(r, int(pid), stdout)


def schedule(bed, *args, **kwargs):
    '''hostpm-suspend --json ARGS that succeeds: the plan it printed.'''
    r = cli(bed, '--json', *args, **kwargs)
    plan = r.json()
    check(re.fullmatch('[0-9a-f]{32}', plan['id']), f'a request id: {plan}')
    plan['pid'] = r.pid
    return plan


def client(bed, method, signature, args, user=NOBODY, interactive=False):
    '''One call to hostpmd through dbus-python, as `user`: {"sender": its
    unique name, "reply": [...]} or {"sender", "error", "message"}.'''
    r = bed.run_as(user, [testbed.PYTHON, THIS, '--client', method, signature, json.dumps(args),
                          'yes' if interactive else 'no'])
    check_equal(r.returncode, 0, f'the --client helper (stderr {r.stderr!r})')
    return json.loads(r.stdout)


def wait_for_outcome(bed, request_id):
    '''hostpmd's properties once the request has ended: recorded, and no
    longer pending.'''
    def ended():
        try:
            p = properties(bed)
        except dbus.exceptions.DBusException as e:
            # Known hostpmd race, reported: when the service is collected
            # between hostpmd's reads of it, systemd answers for a stub unit
            # with no ExecStart and GetAll fails with "Bad message". Not
            # what these cases test; poll again.
            if e.get_dbus_name() != 'org.freedesktop.DBus.Error.InconsistentMessage':
                raise
            return None
        done = p['LastId'] == request_id and p['LastResult'] not in ('', 'suspending') and \
            p['PendingState'] == ''
        return p if done else None
    return testbed.wait_for(ended, f'request {request_id} to end', timeout=OUTCOME_TIMEOUT, interval=0.1)


def wait_for_sleep(bed):
    '''The first sleep verb call (the host is asleep if it was accepted).'''
    return testbed.wait_for(lambda: sleep_calls(bed), 'logind to be asked to sleep', timeout=OUTCOME_TIMEOUT,
                            interval=0.05)[0]


def watch_signals(bed):
    '''hostpmd's signals as they arrive (dispatched by bed.iterate_until()).'''
    received = []

    def handler(*args, member=None):
        received.append((str(member), [a if isinstance(a, bool) else
                                       str(a) if isinstance(a, str) else int(a) for a in args]))

    bed.bus.add_signal_receiver(handler, dbus_interface=HOSTPM_IFACE, path=HOSTPM_PATH,
                                member_keyword='member')
    return received


def check_alarm_at_call(call, seconds):
    '''The helper set the alarm on the RTC's own clock, `seconds` ahead of
    it, right before the call: the RTC counts whole seconds, so its clock
    may have moved on by one when the mock read it.'''
    check(call['rtc'] > 0 and call['alarm'] > 0, f'an alarm and an RTC clock at the call: {call}')
    check(call['rtc'] - 1 <= call['alarm'] - seconds <= call['rtc'],
          f'the alarm is the RTC clock + {seconds} s at the call (not the system clock, '
          f'{RTC_OFFSET} s behind): {call}')


def check_resumed(bed, request_id, target, seconds):
    '''The request ended with the host woken by its alarm, the alarm
    cleared, and the unit gone.'''
    p = wait_for_outcome(bed, request_id)
    check_equal((p['LastResult'], p['LastError'], p['LastTarget'], p['LastWokenByAlarm'],
                 p['LastAskedUSec']), ('resumed', '', target, True, seconds * USEC), 'the outcome')
    check(wakealarm(bed) in ('', '0'),
          f'the alarm is cleared after the resume: {wakealarm(bed)!r}')
    wait_for_no_units(bed, 'the finished units to go')
    return p


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
    start(bed, logind={'HoldWake': True})
    signals = watch_signals(bed)
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
    check_alarm_at_call(call, 3)
    p = properties(bed)
    check_equal((p['PendingId'], p['PendingState'], p['PendingTarget'], p['PendingRequesterUID']),
                (request_id, 'suspending', 'mem', 0), 'pending while asleep')
    shown = unit_properties(bed, 'hostpm-suspend.service', 'ActiveState', 'ExecStart')
    check_equal(shown['ActiveState'], 'activating', 'the oneshot service while the host sleeps')
    argv = re.search(r'argv\[\]=([^;]*);', shown['ExecStart']).group(1).split()
    check_equal(argv, [os.environ['HOSTPM_SLEEP'], f'--id={request_id}', '--target=mem', '--seconds=3',
                       '--min-seconds=2', '--rtc-device=rtc0', '--requester-uid=0',
                       f'--requester-pid={plan["pid"]}'],
                "the helper's argv")
    check_equal(units(bed), [('hostpm-suspend.service', 'activating'), ('hostpm-suspend.timer', 'active')],
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
    check_equal(journal(bed, 'started', request_id)[0]['HOSTPM_ALARM'], str(call['alarm']),
                'the alarm in the started entry')
    check_equal(journal(bed, 'resumed', request_id)[0]['HOSTPM_WOKEN_BY_ALARM'], '1',
                'woken by the alarm, in the resumed entry')
    for kind in ('refused', 'denied', 'cancelled', 'failed'):
        check_equal(journal(bed, kind), [], f'{kind} entries')


def status_while_suspending(bed):
    '''While the host sleeps, the status still says when it wakes.'''
    start(bed, logind={'HoldWake': True})
    plan = schedule(bed, '2s')
    wait_for_sleep(bed)
    p = properties(bed)
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
    start(bed, logind={'HoldWake': True})
    plan = schedule(bed, '2s')
    wait_for_sleep(bed)
    shown = unit_properties(bed, 'hostpm-suspend.service', 'Type', 'CollectMode', 'StateDirectory',
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
        start(bed)
        plan = schedule(bed, f'--target={target}', '2s')
        check_resumed(bed, plan['id'], target, 2)
        calls = sleep_calls(bed)
        check_equal([(c['method'], c['flags']) for c in calls], [(f'{verb}WithFlags', 1)],
                    f'the logind verb for {target}')
        check_alarm_at_call(calls[0], 2)
    test.__doc__ = f'--target={target} is logind\'s {verb}WithFlags().'
    return test


def unsupported_target(bed):
    '''logind says the host cannot hibernate: refused before anything is
    scheduled, naming the target and logind's answer.'''
    untouched = start(bed, logind={'CanHibernate': 'no'})
    r = cli(bed, '--target=disk', '2s', status=EXIT_REFUSED)
    check("'disk'" in r.stderr and "'no'" in r.stderr, f'the error names target and answer: {r.stderr!r}')
    check_nothing_scheduled(bed, untouched)
    journal_entries(bed, 'refused')


def target_not_allowed(bed):
    '''AllowedTargets= in hostpm.conf narrows what logind supports.'''
    untouched = start(bed, config=FAST_CONFIG + 'AllowedTargets=mem\n')
    r = cli(bed, '--target=hybrid', '2s', status=EXIT_REFUSED)
    check('AllowedTargets=' in r.stderr, f'the error names the setting: {r.stderr!r}')
    check_nothing_scheduled(bed, untouched)


def refusals(bed):
    '''Bad input of every kind, straight over D-Bus: the named error, and
    nothing scheduled.'''
    untouched = start(bed)
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
    check_nothing_scheduled(bed, untouched)
    journal_entries(bed, 'refused', count=7)


#
# Cancelling, busy
#

def cancel(bed):
    '''Cancel before the timer fires: the units go, logind is never asked,
    the alarm never set; a second cancel finds nothing.'''
    untouched = start(bed)
    signals = watch_signals(bed)
    plan = schedule(bed, '--delay=3s', '2s')
    r = cli(bed, '--cancel')
    check_equal(r.stdout, f'Cancelled request {plan["id"]}.\n', 'what --cancel says')
    wait_for_no_units(bed, 'the cancelled units to go')
    # past the moment the timer would have fired
    testbed.wait_for(lambda: time.time() * USEC > plan['suspend_usec'] + USEC, 'the planned suspend time')
    check_nothing_scheduled(bed, untouched)
    check_equal(journal(bed, 'started'), [], 'started entries')
    journal_entries(bed, 'cancelled', plan['id'])
    bed.iterate_until(lambda: ('SuspendCancelled', [plan['id']]) in signals, 'SuspendCancelled')
    r = cli(bed, '--cancel', status=EXIT_NOTHING_PENDING)
    check('nothing to cancel' in r.stderr, f'the second cancel: {r.stderr!r}')


def cancel_too_late(bed):
    '''Once the helper has asked logind, cancel is TooLate, names the
    request, and the suspend goes on to its wake-up.'''
    start(bed, logind={'HoldWake': True})
    plan = schedule(bed, '2s')
    wait_for_sleep(bed)
    r = cli(bed, '--cancel', status=EXIT_TOO_LATE)
    check(plan['id'] in r.stderr and 'Too late' in r.stderr, f'the error: {r.stderr!r}')
    check_equal(properties(bed)['PendingState'], 'suspending', 'still suspending')
    bed.mocks['logind'].control.SetHoldWake(False)
    check_resumed(bed, plan['id'], 'mem', 2)
    check_equal(journal(bed, 'cancelled'), [], 'cancelled entries')


def busy(bed):
    '''One request at a time: the second is refused naming the first, which
    stays as it was.'''
    start(bed)
    plan = schedule(bed, '--delay=60s', '2s')
    testbed.wait_for(lambda: ('hostpm-suspend.timer', 'active') in units(bed), 'the timer to start')
    before = units(bed)
    r = cli(bed, '--target=disk', '5s', status=EXIT_BUSY)
    check(plan['id'] in r.stderr, f'the error names the pending request: {r.stderr!r}')
    check_equal(units(bed), before, 'the units of the first request')
    p = properties(bed)
    check_equal((p['PendingId'], p['PendingState'], p['PendingTarget']), (plan['id'], 'scheduled', 'mem'),
                'still pending')
    journal_entries(bed, 'refused')
    check_equal(sleep_calls(bed), [], 'sleep calls')


#
# Authorization (callers other than root)
#

def polkit_allow(bed):
    '''polkit is asked about the caller's bus name for hostpm's own action,
    with the request's details and no interaction; granted, the request is
    carried out in the caller's name.'''
    start(bed, polkit={'Allowed': [ACTION_SUSPEND]})
    answer = client(bed, 'ScheduleSuspend', 'sttt', ['mem', 2 * USEC, 0, 0])
    check('reply' in answer, f'scheduled: {answer}')
    request_id = answer['reply'][0]
    (call,) = polkit_checks(bed)
    details = call[3]
    check_equal(call[:3] + (call[4],), ('system-bus-name', answer['sender'], ACTION_SUSPEND, 0), 'the polkit check')
    # the request's details (org.hostpm1(5)); the wake time as planned
    # when polkit was asked, the reply's taken a moment later
    check_equal({k: v for k, v in details.items() if k != 'wake_usec'},
                {'request_id': request_id, 'target': 'mem', 'duration': '2s', 'duration_usec': str(2 * USEC),
                 'requester_uid': str(NOBODY)}, 'the polkit details')
    check(answer['reply'][1] < int(details['wake_usec']) <= answer['reply'][2],
          f'the wake time polkit was told: {details}, reply {answer["reply"]}')
    check_equal(properties(bed)['PendingRequesterUID'], NOBODY, 'PendingRequesterUID')
    check_resumed(bed, request_id, 'mem', 2)
    check_equal(journal_entries(bed, 'resumed', request_id)[0]['HOSTPM_REQUESTER_UID'], str(NOBODY),
                'the requester in the journal')


def polkit_deny(bed):
    untouched = start(bed, polkit={})
    r = cli(bed, '2s', user=NOBODY, status=EXIT_NOT_AUTHORIZED)
    check(ACTION_SUSPEND in r.stderr, f'the error names the action: {r.stderr!r}')
    check_equal([c[2] for c in polkit_checks(bed)], [ACTION_SUSPEND], 'asked polkit')
    check_nothing_scheduled(bed, untouched)
    (denied,) = journal_entries(bed, 'denied')
    check_equal((denied['HOSTPM_REQUESTER_UID'], denied['HOSTPM_REQUESTER_PID']), (str(NOBODY), str(r.pid)),
                'who was denied, in the journal')


def polkit_challenge_noninteractive(bed):
    '''polkit wants a password and the caller did not allow interaction:
    InteractiveAuthorizationRequired, nothing scheduled.'''
    untouched = start(bed, polkit={'Challenge': [ACTION_SUSPEND]})
    answer = client(bed, 'ScheduleSuspend', 'sttt', ['mem', 2 * USEC, 0, 0], interactive=False)
    check_equal(answer.get('error'), INTERACTIVE_AUTHORIZATION_REQUIRED, f'the answer: {answer}')
    r = cli(bed, '2s', user=NOBODY, status=EXIT_NOT_AUTHORIZED)  # --no-ask-password
    check('Authentication is required' in r.stderr, f'what the CLI says: {r.stderr!r}')
    check_equal([c[4] for c in polkit_checks(bed)], [0, 0], 'CheckAuthorization flags')
    check_nothing_scheduled(bed, untouched)


def polkit_challenge_interactive(bed):
    '''The caller allows interaction: polkit is asked with
    AllowUserInteraction, its agent's user authenticates (the mock), and
    the request goes through. The CLI allows it unless --no-ask-password.'''
    start(bed, polkit={'Challenge': [ACTION_SUSPEND]})
    answer = client(bed, 'ScheduleSuspend', 'sttt', ['mem', 2 * USEC, 0, 2], interactive=True)
    check_equal(answer.get('reply', [None])[0], '', f'a dry run, authorized: {answer}')
    plan = schedule(bed, '2s', user=NOBODY, interactive=True)
    check_equal([(c[2], c[4]) for c in polkit_checks(bed)], [(ACTION_SUSPEND, 1)] * 2,
                'CheckAuthorization with AllowUserInteraction')
    check_resumed(bed, plan['id'], 'mem', 2)


def polkit_absent(bed):
    '''No polkit on the bus means no.'''
    untouched = start(bed)
    r = cli(bed, '2s', user=NOBODY, status=EXIT_NOT_AUTHORIZED)
    check('Not authorized' in r.stderr, f'the error: {r.stderr!r}')
    check_nothing_scheduled(bed, untouched)
    journal_entries(bed, 'denied')


def polkit_silent(bed):
    '''A polkit that never answers means no, once hostpmd's timeout passes.'''
    untouched = start(bed, polkit={'NoReply': True}, env={'HOSTPM_POLKIT_TIMEOUT_USEC': 500000})
    r = cli(bed, '2s', user=NOBODY, status=EXIT_NOT_AUTHORIZED)
    check('Not authorized' in r.stderr, f'the error: {r.stderr!r}')
    check_nothing_scheduled(bed, untouched)


def polkit_cancel(bed):
    '''Cancelling is an action of its own: allowed to suspend is not
    allowed to cancel.'''
    start(bed, polkit={'Allowed': [ACTION_SUSPEND]})
    plan = schedule(bed, '--delay=60s', '2s', user=NOBODY)
    cli(bed, '--cancel', user=NOBODY, status=EXIT_NOT_AUTHORIZED)
    check_equal(properties(bed)['PendingId'], plan['id'], 'still pending after the denied cancel')
    bed.mocks['polkitd'].control.SetAllowed([ACTION_SUSPEND, ACTION_CANCEL])
    cli(bed, '--cancel', user=NOBODY)
    check_equal([c[2] for c in polkit_checks(bed)], [ACTION_SUSPEND, ACTION_CANCEL, ACTION_CANCEL],
                'the actions polkit was asked about')
    wait_for_no_units(bed, 'the cancelled units to go')


def root_bypasses_polkit(bed):
    start(bed, polkit={})
    plan = schedule(bed, '--delay=60s', '2s')
    cli(bed, '--cancel')
    check_equal(polkit_checks(bed), [], 'polkit asked for root')
    journal_entries(bed, 'cancelled', plan['id'])


def dry_run(bed):
    '''--dry-run checks and authorizes, and schedules nothing.'''
    untouched = start(bed)
    plan = cli(bed, '--json', '--dry-run', '2s').json()
    check_equal((plan['id'], plan['dry_run'], plan['wake_usec'] - plan['suspend_usec']), ('', True, 2 * USEC),
                'the dry run\'s plan')
    r = cli(bed, '--dry-run', '2s')
    check(r.stdout.startswith('Dry run: allowed.'), f'in words: {r.stdout!r}')
    check_nothing_scheduled(bed, untouched)
    check_equal(journal(bed, 'scheduled'), [], 'scheduled entries')


def dry_run_authorizes(bed):
    untouched = start(bed, polkit={})
    cli(bed, '--dry-run', '2s', user=NOBODY, status=EXIT_NOT_AUTHORIZED)
    check_nothing_scheduled(bed, untouched)


#
# Inhibitors
#

BACKUP = {'what': 'sleep', 'who': 'backup', 'why': 'copying the disks'}


def inhibitor_present(bed):
    '''A block inhibitor on sleep: the helper refuses before it touches the
    alarm, says who inhibits, and --wait reports it.'''
    untouched = start(bed, logind={'BlockInhibitor': BACKUP})
    r = cli(bed, '--wait', '2s', status=EXIT_SLEEP_FAILED)
    request_id = re.search('request ([0-9a-f]{32})', r.stdout).group(1)
    check(f'Request {request_id} refused' in r.stdout and 'backup' in r.stdout, f'--wait: {r.stdout!r}')
    p = wait_for_outcome(bed, request_id)
    check_equal(p['LastResult'], 'refused', 'the outcome')
    check('copying the disks' in p['LastError'], f'the reason: {p["LastError"]!r}')
    check_nothing_scheduled(bed, untouched, settle=True)
    journal_entries(bed, 'refused', request_id)


def ignore_inhibitors_needs_action(bed):
    '''--ignore-inhibitors is a polkit action of its own, asked after the
    suspend itself.'''
    untouched = start(bed, logind={'BlockInhibitor': BACKUP}, polkit={'Allowed': [ACTION_SUSPEND]})
    r = cli(bed, '--ignore-inhibitors', '2s', user=NOBODY, status=EXIT_NOT_AUTHORIZED)
    check(ACTION_IGNORE_INHIBITORS in r.stderr, f'the error names the action: {r.stderr!r}')
    check_equal([c[2] for c in polkit_checks(bed)], [ACTION_SUSPEND, ACTION_IGNORE_INHIBITORS], 'asked polkit')
    check_nothing_scheduled(bed, untouched)


def ignore_inhibitors(bed):
    '''Authorized to ignore inhibitors: the helper does not look at them
    and does not ask logind to (flags 0); the host sleeps.'''
    start(bed, logind={'BlockInhibitor': BACKUP},
          polkit={'Allowed': [ACTION_SUSPEND, ACTION_IGNORE_INHIBITORS]})
    plan = schedule(bed, '--ignore-inhibitors', '2s', user=NOBODY)
    check_resumed(bed, plan['id'], 'mem', 2)
    check_equal([(c['method'], c['flags']) for c in sleep_calls(bed)], [('SuspendWithFlags', 0)],
                'the sleep call, without SD_LOGIND_ROOT_CHECK_INHIBITORS')
    check_equal(logind_calls(bed, 'ListInhibitors'), [], 'ListInhibitors calls')


#
# The RTC and logind failing
#

def rtc_missing(bed):
    untouched = start(bed, rtc={'present': False})
    r = cli(bed, '2s', status=EXIT_REFUSED)
    check('no wake alarm' in r.stderr, f'the error: {r.stderr!r}')
    check_nothing_scheduled(bed, untouched)


def rtc_wakeup_disabled(bed):
    untouched = start(bed, rtc={'wakeup': 'disabled'})
    r = cli(bed, '2s', status=EXIT_REFUSED)
    check('power/wakeup' in r.stderr, f'the error says what to enable: {r.stderr!r}')
    check_nothing_scheduled(bed, untouched)


def readback_mismatch(bed):
    '''An RTC that does not keep the alarm written (wakealarm is /dev/null
    here): the helper fails before logind is asked.'''
    start(bed)
    os.unlink(bed.wakealarm_path)
    os.symlink('/dev/null', bed.wakealarm_path)
    plan = schedule(bed, '2s')
    p = wait_for_outcome(bed, plan['id'])
    check_equal(p['LastResult'], 'failed', 'the outcome')
    check('did not keep the alarm' in p['LastError'], f'the reason: {p["LastError"]!r}')
    wait_for_no_units(bed, 'the failed units to go')
    check_equal(sleep_calls(bed), [], 'sleep verbs logind was asked for')
    journal_entries(bed, 'failed', plan['id'])


def logind_refuses(bed):
    '''logind says no to the sleep: the alarm set for it is cleared and the
    outcome says why.'''
    start(bed, logind={'SuspendError': 'org.freedesktop.DBus.Error.AccessDenied',
                       'SuspendErrorMessage': 'not today'})
    plan = schedule(bed, '2s')
    p = wait_for_outcome(bed, plan['id'])
    check_equal(p['LastResult'], 'failed', 'the outcome')
    check('AccessDenied' in p['LastError'] and 'not today' in p['LastError'], f'the reason: {p["LastError"]!r}')
    (call,) = sleep_calls(bed)
    check_equal(call['error'], 'org.freedesktop.DBus.Error.AccessDenied', 'the call was refused')
    check_alarm_at_call(call, 2)
    check(wakealarm(bed) in ('', '0'), f'the alarm is cleared: {wakealarm(bed)!r}')
    wait_for_no_units(bed, 'the failed units to go')


#
# The daemon's life
#

def hostpmd_pid(bed):
    return int(unit_properties(bed, 'hostpmd.service', 'MainPID')['MainPID'])


def daemon_restart(bed):
    '''hostpmd holds no state: killed with a request pending, the next call
    starts a new one that sees the request and can cancel it.'''
    start(bed)
    plan = schedule(bed, '--delay=60s', '2s')
    old = hostpmd_pid(bed)
    os.kill(old, signal.SIGKILL)
    testbed.wait_for(lambda: not bed.name_has_owner(HOSTPM), 'hostpmd to be gone')
    status = cli(bed, '--status', '--json').json()
    check_equal((status['pending']['id'], status['pending']['state'], status['pending']['target']),
                (plan['id'], 'scheduled', 'mem'), 'the pending request, seen by the new hostpmd')
    check(hostpmd_pid(bed) not in (0, old), 'a new hostpmd')
    r = cli(bed, '--cancel')
    check_equal(r.stdout, f'Cancelled request {plan["id"]}.\n', 'the new hostpmd cancels it')
    wait_for_no_units(bed, 'the cancelled units to go')


def idle_exit(bed):
    '''hostpmd exits when idle (cleanly, giving up its name) and the next
    call starts it again.'''
    start(bed, env={'HOSTPM_IDLE_TIMEOUT_USEC': USEC})
    cli(bed, '--status')
    first = hostpmd_pid(bed)
    testbed.wait_for(lambda: not bed.name_has_owner(HOSTPM), 'hostpmd to exit when idle')
    testbed.wait_for(lambda: unit_properties(bed, 'hostpmd.service', 'ActiveState')['ActiveState'] == 'inactive',
                     'hostpmd.service to stop')
    check_equal(unit_properties(bed, 'hostpmd.service', 'Result')['Result'], 'success', 'how hostpmd ended')
    cli(bed, '--status')
    check(hostpmd_pid(bed) not in (0, first), 'activated again')


def idle_waits_for_pending(bed):
    '''Not idle while a request is pending: the same hostpmd sees it
    through (the timer fires after several idle timeouts) and sends
    SuspendFinished, then exits.'''
    start(bed, logind={'HoldWake': True}, env={'HOSTPM_IDLE_TIMEOUT_USEC': USEC // 2})
    signals = watch_signals(bed)
    plan = schedule(bed, '--delay=3s', '2s')
    pid = hostpmd_pid(bed)
    wait_for_sleep(bed)
    check_equal(hostpmd_pid(bed), pid, 'the hostpmd that scheduled it, while the host sleeps')
    bed.mocks['logind'].control.SetHoldWake(False)
    bed.iterate_until(lambda: any(n == 'SuspendFinished' for n, _ in signals), 'SuspendFinished',
                      timeout=OUTCOME_TIMEOUT)
    check_equal(hostpmd_pid(bed), pid, 'the hostpmd that sent SuspendFinished')
    testbed.wait_for(lambda: not bed.name_has_owner(HOSTPM), 'hostpmd to exit when idle again')
    check_equal([a[0:2] for n, a in signals if n == 'SuspendFinished'], [[plan['id'], 'resumed']],
                'SuspendFinished')


#
# The CLI's other ways in
#

def until(bed):
    '''--until=@EPOCH: the alarm is set for that wall-clock time, on the
    RTC's clock.'''
    start(bed)
    # time for the helper to start and wait for the RTC's tick, which it
    # must have to set an alarm at least MinimumDuration= (2s) ahead
    wake = int(time.time()) + 10
    plan = schedule(bed, f'--until=@{wake}')
    check_equal(plan['wake_usec'], wake * USEC, 'the planned wake time')
    p = wait_for_outcome(bed, plan['id'])
    check_equal((p['LastResult'], p['LastWokenByAlarm']), ('resumed', True), 'the outcome')
    (call,) = sleep_calls(bed)
    # whole seconds: the helper's and the RTC's clocks may each be one tick on
    check(wake - 1 <= call['alarm'] - RTC_OFFSET <= wake,
          f'the alarm is {wake} on the RTC\'s clock ({RTC_OFFSET} s ahead): {call}')
    check_equal(logind_calls(bed, 'SuspendWithFlags'), [('SuspendWithFlags', [1])], 'the sleep call')


def wait(bed):
    '''--wait follows the request to the resume and says how it went.'''
    start(bed)
    r = cli(bed, '--wait', '2s')
    check(re.search(r'^Scheduled request [0-9a-f]{32}', r.stdout, re.M), f'the plan first: {r.stdout!r}')
    # the wall-clock "suspend to resume took …" may come inside or after the brackets
    check(re.search(r'^Resumed: slept .*\(asked 2s[;)].*[ ,]woken by the RTC alarm[;.]', r.stdout, re.M),
          f'then the resume: {r.stdout!r}')


#
# A helper process: one call to hostpmd, as whichever user runs it
#

def _client(method, signature, args_json, interactive):
    bus = dbus.bus.BusConnection(os.environ['DBUS_SYSTEM_BUS_ADDRESS'])
    message = dbus.lowlevel.MethodCallMessage(HOSTPM, HOSTPM_PATH, HOSTPM_IFACE, method)
    message.append(*json.loads(args_json), signature=signature)
    message.set_allow_interactive_authorization(interactive == 'yes')
    answer = {'sender': bus.get_unique_name()}
    try:
        reply = bus.send_message_with_reply_and_block(message, 30)
        answer['reply'] = [a if isinstance(a, str) else int(a) for a in reply.get_args_list()]
    except dbus.exceptions.DBusException as e:
        answer.update(error=e.get_dbus_name(), message=e.get_dbus_message())
    print(json.dumps(answer))
    return 0


CASES = {
    'cycle': cycle,
    'status-while-suspending': status_while_suspending,
    'helper-hardening': helper_hardening,
    'target-disk': target_case('disk', 'Hibernate'),
    'target-hybrid': target_case('hybrid', 'HybridSleep'),
    'target-suspend-then-hibernate': target_case('suspend-then-hibernate', 'SuspendThenHibernate'),
    'unsupported-target': unsupported_target,
    'target-not-allowed': target_not_allowed,
    'refusals': refusals,
    'cancel': cancel,
    'cancel-too-late': cancel_too_late,
    'busy': busy,
    'polkit-allow': polkit_allow,
    'polkit-deny': polkit_deny,
    'polkit-challenge-noninteractive': polkit_challenge_noninteractive,
    'polkit-challenge-interactive': polkit_challenge_interactive,
    'polkit-absent': polkit_absent,
    'polkit-silent': polkit_silent,
    'polkit-cancel': polkit_cancel,
    'root-bypasses-polkit': root_bypasses_polkit,
    'dry-run': dry_run,
    'dry-run-authorizes': dry_run_authorizes,
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
    if sys.argv[1:2] == ['--client']:
        sys.exit(_client(*sys.argv[2:]))
    testbed.main(CASES)
