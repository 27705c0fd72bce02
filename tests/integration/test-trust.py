#!/usr/bin/python3
'''Forged signals (issue 9, section 1): an unprivileged user sends each
signal hostpm follows straight to the unique name of the program that
follows it, at the worst moment, and nothing changes. dbus-daemon filters
only broadcasts by match rules, and the system bus lets every user send
signals, so a signal "from logind" is logind's only if it comes from the
connection that owns org.freedesktop.login1; hostpm-sleep also wants the
kernel's word that the host slept (the fake sysfs's suspend_stats, which
the mock logind counts up as a kernel would).

The forger runs as NOBODY (`--forge`, below): it sends, on one connection
and so in order, a NameOwnerChanged naming itself the owner, then the
signals; the target logs each one it ignores (at notice level, naming the
forger's unique name), which is how a test knows the forgeries arrived and
were handled. Every wait also ends early on the damage a forgery would do
(an outcome recorded, the program gone), so the code before the fix fails
with a message rather than a timeout.

The windows are held open, not hit: the mock logind holds the Suspend call
(HoldSuspend) or the sleep (HoldWake, or an alarm far ahead), and hostpmd's
timer waits an hour.
'''

import json
import os
import re
import sys
import time

import testbed
from testbed import check, check_equal

try:
    import dbus
    import dbus.lowlevel
except ImportError:
    dbus = None

THIS = os.path.abspath(__file__)

HOSTPM = 'org.hostpm1'
HOSTPM_PATH = '/org/hostpm1'
HOSTPM_IFACE = 'org.hostpm1.Manager'
LOGIND = 'org.freedesktop.login1'
LOGIND_PATH = '/org/freedesktop/login1'
LOGIND_IFACE = 'org.freedesktop.login1.Manager'
SYSTEMD = 'org.freedesktop.systemd1'
SYSTEMD_PATH = '/org/freedesktop/systemd1'
SYSTEMD_IFACE = 'org.freedesktop.systemd1.Manager'
DRIVER = 'org.freedesktop.DBus'
DRIVER_PATH = '/org/freedesktop/DBus'

NOBODY = 65534
USEC = 1000000
FAST_CONFIG = '[Suspend]\nDelay=1s\nMinimumDuration=2s\n'
OUTCOME_TIMEOUT = 40
SERVICE = 'hostpm-suspend.service'


#
# The bed, as these cases use it
#

def start(bed, logind=None):
    with open(os.path.join(bed.hostpm_config_dir, 'hostpm.conf'), 'w', encoding='utf-8') as f:
        f.write(FAST_CONFIG)
    bed.start(logind=logind or {}, hostpmd=True)
    bed.start_rtc_clock()


def cli(bed, *args, status=0):
    r = bed.run([bed.cli, '--no-ask-password', *args])
    check_equal(r.returncode, status, f'exit status of hostpm-suspend {" ".join(args)} '
                f'(stdout {r.stdout!r}, stderr {r.stderr!r})')
    return r


def schedule(bed, *args):
    plan = json.loads(cli(bed, '--json', *args).stdout)
    check(re.fullmatch('[0-9a-f]{32}', plan['id']), f'a request id: {plan}')
    return plan


def properties(bed):
    obj = bed.bus.get_object(HOSTPM, HOSTPM_PATH, introspect=False)
    values = dbus.Interface(obj, 'org.freedesktop.DBus.Properties').GetAll(HOSTPM_IFACE)
    return {str(k): (str(v) if isinstance(v, dbus.String) else
                     bool(v) if isinstance(v, dbus.Boolean) else int(v))
            for k, v in values.items() if not isinstance(v, dbus.Array)}


def wakealarm(bed):
    with open(bed.wakealarm_path, encoding='ascii') as f:
        return f.read().strip()


def counter(bed, name):
    with open(os.path.join(bed.suspend_stats_dir, name), encoding='ascii') as f:
        return int(f.read())


def logind(bed):
    return bed.mocks['logind'].control


def sleep_calls(bed):
    return [{'method': str(m), 'alarm': int(a), 'error': str(e)}
            for m, _f, a, _r, _t, e in logind(bed).GetSleepCalls()]


def sleeps(bed):
    return [{'start': float(s), 'end': float(e), 'by_alarm': bool(b)}
            for _v, s, e, b in logind(bed).GetSleeps()]


def wait_for_sleep_call(bed):
    '''The helper has set and verified the alarm and called logind.'''
    return testbed.wait_for(lambda: sleep_calls(bed), 'logind to be asked to sleep',
                            timeout=OUTCOME_TIMEOUT, interval=0.05)[0]


def unit_state(bed, unit, prop):
    r = bed.run(['systemctl', '--user', 'show', unit, '-p', prop, '--value'])
    return r.stdout.strip()


def helper_running(bed):
    return unit_state(bed, SERVICE, 'ActiveState') == 'activating'


def wait_for_outcome(bed, request_id):
    def ended():
        p = properties(bed)
        done = p['LastId'] == request_id and p['LastResult'] not in ('', 'suspending') and \
            p['PendingState'] == ''
        return p if done else None
    return testbed.wait_for(ended, f'request {request_id} to end', timeout=OUTCOME_TIMEOUT, interval=0.1)


def watch_hostpmd(bed):
    '''hostpmd's signals, PropertiesChanged included, as they arrive.'''
    received = []

    def handler(*args, member=None):
        received.append((str(member), [str(a) if isinstance(a, str) else a for a in args]))

    bed.bus.add_signal_receiver(handler, path=HOSTPM_PATH, member_keyword='member')
    return received


def unique_name_of(bed, pid):
    '''The bus connection of a process, as `busctl list` shows anyone.'''
    driver = dbus.Interface(bed.bus.get_object(DRIVER, DRIVER_PATH, introspect=False), DRIVER)
    for name in driver.ListNames():
        if name.startswith(':'):
            try:
                if int(driver.GetConnectionUnixProcessID(name)) == pid:
                    return str(name)
            except dbus.exceptions.DBusException:
                pass  # gone meanwhile
    raise testbed.BedError(f'no bus connection of PID {pid}')


def owner_of(bed, name):
    driver = dbus.Interface(bed.bus.get_object(DRIVER, DRIVER_PATH, introspect=False), DRIVER)
    return str(driver.GetNameOwner(name))


def drain(bed):
    '''Dispatches whatever the bed's connection has received.'''
    context = testbed.GLib.MainContext.default()
    while context.pending():
        context.iteration(False)


def json_lines(text):
    lines = []
    for line in text.splitlines():
        try:
            value = json.loads(line)
        except ValueError:
            continue
        if isinstance(value, dict):
            lines.append(value)
    return lines


def forge(bed, destination, watched, signals):
    '''NOBODY sends, to destination: NameOwnerChanged(watched, its owner,
    the forger), then signals [(path, interface, member, signature, args)].
    Returns the forger's unique name.'''
    claim = (DRIVER_PATH, DRIVER, 'NameOwnerChanged', 'sss', [watched, owner_of(bed, watched), '@self'])
    r = bed.run_as(NOBODY, [testbed.PYTHON, THIS, '--forge', destination, json.dumps([claim, *signals])])
    check_equal(r.returncode, 0, f'the forger (stderr {r.stderr!r})')
    return json.loads(r.stdout)['sender']


def ignored(entries, forger, member):
    '''Entries saying a program ignored the forger's member.'''
    return [e for e in entries if re.match(rf'Ignoring [\w.]+\.{member} from {re.escape(forger)}: ', e)]


def journal_messages(bed, unit, priority='5'):
    return [e['MESSAGE'] for e in bed.journal.find(_SYSTEMD_UNIT=unit, PRIORITY=priority)]


#
# hostpm-sleep: PrepareForSleep
#

def forged_prepare_for_sleep(bed):
    '''(a) After the alarm is armed and logind asked, before logind
    sleeps: a forged PrepareForSleep(true) then (false) neither ends the
    wait nor clears the alarm; the real sleep then runs its course.'''
    start(bed, logind={'HoldSuspend': True, 'SleepMaxSec': 10})
    plan = schedule(bed, '8s')
    call = wait_for_sleep_call(bed)
    check(call['alarm'] > 0 and wakealarm(bed) == str(call['alarm']), f'the alarm is armed: {call}')
    helper = unique_name_of(bed, int(unit_state(bed, SERVICE, 'MainPID')))

    forger = forge(bed, helper, LOGIND, [(LOGIND_PATH, LOGIND_IFACE, 'PrepareForSleep', 'b', [True]),
                                         (LOGIND_PATH, LOGIND_IFACE, 'PrepareForSleep', 'b', [False])])

    def handled():
        notices = ignored(journal_messages(bed, SERVICE), forger, 'PrepareForSleep')
        return len(notices) >= 2 or not helper_running(bed) or wakealarm(bed) != str(call['alarm'])
    testbed.wait_for(handled, 'the helper to ignore both forgeries', interval=0.1)
    check(helper_running(bed), 'the helper still waits for the resume')
    check_equal(wakealarm(bed), str(call['alarm']), 'the wake alarm, still set')
    p = properties(bed)
    check_equal((p['LastId'], p['LastResult'], p['PendingState']), (plan['id'], 'suspending', 'suspending'),
                'the outcome: still suspending, nothing recorded')
    check_equal(len(ignored(journal_messages(bed, SERVICE), forger, 'PrepareForSleep')), 2,
                'the helper said it ignored both')

    logind(bed).ReleaseSuspend()
    p = wait_for_outcome(bed, plan['id'])
    (s,) = sleeps(bed)
    check_equal((p['LastResult'], p['LastError']), ('resumed', ''), 'the outcome of the real sleep')
    # (on a slow machine the alarm may pass while the call is held: then
    # the mock wakes the host after SleepMaxSec instead)
    check(p['LastWokenByAlarm'] or not s['by_alarm'], f'woken by the alarm, as the mock says: {p}, {s}')
    check(p['LastResumeUSec'] >= s['end'] * USEC - USEC, f'resumed after the real sleep ended: {p}, {s}')
    check(wakealarm(bed) in ('', '0'), f'the alarm is cleared after the real resume: {wakealarm(bed)!r}')


def prepare_for_sleep_without_evidence(bed):
    '''(b) PrepareForSleep(false) from logind itself, while the kernel
    shows no sleep (suspend_stats unmoved, no time suspended): logged, the
    alarm kept, the wait goes on; the real wake-up then counts.'''
    start(bed, logind={'SleepMaxSec': 3600})  # asleep until WakeUp(), however slow the test
    plan = schedule(bed, '10min')
    call = wait_for_sleep_call(bed)
    testbed.wait_for(lambda: 'logind is putting the host to sleep.' in journal_messages(bed, SERVICE, '6'),
                     'the helper to see the sleep start', interval=0.05)
    before = counter(bed, 'success')

    logind(bed).EmitPrepareForSleep(False)
    notice = 'logind says the host resumed, but the kernel shows no sleep'
    testbed.wait_for(lambda: any(m.startswith(notice) for m in journal_messages(bed, SERVICE))
                     or not helper_running(bed), 'the helper to weigh the resume', interval=0.05)
    check(helper_running(bed), 'the helper still waits for the resume')
    check_equal(wakealarm(bed), str(call['alarm']), 'the wake alarm, still set')
    check_equal(properties(bed)['LastResult'], 'suspending', 'the outcome: nothing recorded')
    check_equal(counter(bed, 'success'), before, 'suspend_stats/success, unmoved')

    logind(bed).WakeUp()  # the real end of the sleep: counted by the "kernel"
    p = wait_for_outcome(bed, plan['id'])
    check_equal((p['LastResult'], p['LastError'], p['LastWokenByAlarm']), ('resumed', '', False),
                'the outcome of the real (early) wake-up')
    check_equal(counter(bed, 'success'), before + 1, 'suspend_stats/success')
    check_equal(wakealarm(bed), '0', 'the alarm is cleared by the helper')


def kernel_suspend_fails(bed):
    '''logind accepts, but the kernel fails to suspend (suspend_stats/fail
    moves, success does not): the request failed, the alarm is cleared.'''
    start(bed, logind={'KernelSuspendFails': True})
    plan = schedule(bed, '5s')
    p = wait_for_outcome(bed, plan['id'])
    check_equal(p['LastResult'], 'failed', 'the outcome')
    check('the kernel failed to suspend' in p['LastError'], f'the error says why: {p["LastError"]!r}')
    check_equal((counter(bed, 'success'), counter(bed, 'fail')), (0, 1), 'suspend_stats (success, fail)')
    check_equal(wakealarm(bed), '0', 'the alarm is cleared')


#
# hostpmd: JobNew, JobRemoved
#

def forged_job_signals(bed):
    '''(c) While a request waits for its timer, forged JobNew/JobRemoved of
    its service: no SuspendFinished, no change announced, still pending.
    hostpmd still follows the real request: its cancel; then a real
    cycle with the same forgeries while the host sleeps.'''
    start(bed, logind={'HoldWake': True})
    signals = watch_hostpmd(bed)
    plan = schedule(bed, '--delay=1h', '2s')
    before = properties(bed)
    check_equal((before['PendingId'], before['PendingState']), (plan['id'], 'scheduled'), 'pending')
    bed.iterate_until(lambda: any(n == 'SuspendScheduled' for n, _ in signals), 'SuspendScheduled')
    seen = len(signals)

    def forge_jobs():
        job = '/org/freedesktop/systemd1/job/4242'
        forger = forge(bed, owner_of(bed, HOSTPM), SYSTEMD, [
            (SYSTEMD_PATH, SYSTEMD_IFACE, 'JobNew', 'uos', [4242, job, SERVICE]),
            (SYSTEMD_PATH, SYSTEMD_IFACE, 'JobRemoved', 'uoss', [4242, job, SERVICE, 'done'])])
        bed.iterate_until(lambda: len(ignored(journal_messages(bed, 'hostpmd.service'), forger, 'Job\\w+')) >= 2
                          or any(n == 'SuspendFinished' for n, _ in signals[seen:]),
                          'hostpmd to ignore both forgeries')
        properties(bed)  # its reply comes after anything hostpmd sent meanwhile
        drain(bed)
        return forger

    forge_jobs()
    check_equal(signals[seen:], [], "hostpmd's signals after the forgeries (none)")
    after = properties(bed)
    # the planned times are recomputed from the timer at each read: the
    # same to within the clocks' rounding
    stable = [k for k in before if k.startswith(('Pending', 'Last')) and
              k not in ('PendingSuspendUSec', 'PendingWakeUSec')]
    check_equal({k: after[k] for k in stable}, {k: before[k] for k in stable}, 'what hostpmd says is pending and last')
    for k in ('PendingSuspendUSec', 'PendingWakeUSec'):
        check(abs(after[k] - before[k]) < USEC, f'{k}: {before[k]}, then {after[k]}')

    r = cli(bed, '--cancel')
    check_equal(r.stdout, f'Cancelled request {plan["id"]}.\n', 'the real request is cancelled')
    bed.iterate_until(lambda: ('SuspendCancelled', [plan['id']]) in signals, 'SuspendCancelled')

    plan = schedule(bed, '2s')
    wait_for_sleep_call(bed)
    testbed.wait_for(lambda: properties(bed)['PendingState'] == 'suspending', 'the helper to run')
    seen = len(signals)
    forge_jobs()
    logind(bed).SetHoldWake(False)
    bed.iterate_until(lambda: any(n == 'SuspendFinished' for n, _ in signals[seen:]), 'SuspendFinished',
                      timeout=OUTCOME_TIMEOUT)
    p = wait_for_outcome(bed, plan['id'])
    check_equal([a[:2] for n, a in signals[seen:] if n == 'SuspendFinished'], [[plan['id'], 'resumed']],
                'SuspendFinished, once, for the real request')
    check_equal((p['LastResult'], p['LastError']), ('resumed', ''), 'the outcome')


#
# hostpm-suspend --wait: SuspendFinished, SuspendCancelled
#

def forged_suspend_finished(bed):
    '''(d) While `hostpm-suspend --wait` waits for the host to wake,
    forged SuspendCancelled and SuspendFinished for its request: it waits
    on and reports the real outcome.'''
    start(bed, logind={'HoldWake': True})
    process = bed.spawn('wait', [bed.cli, '--no-ask-password', '--json', '--wait', '2s'])

    def output():
        with open(process.log_path, encoding='utf-8') as f:
            return f.read()

    def plan():
        return next((line for line in json_lines(output()) if 'suspend_usec' in line), None)
    request_id = testbed.wait_for(plan, 'the plan from --wait', timeout=OUTCOME_TIMEOUT)['id']
    wait_for_sleep_call(bed)
    waiter = unique_name_of(bed, process.popen.pid)

    forger = forge(bed, waiter, HOSTPM, [
        (HOSTPM_PATH, HOSTPM_IFACE, 'SuspendCancelled', 's', [request_id]),
        (HOSTPM_PATH, HOSTPM_IFACE, 'SuspendFinished', 'ssttbs',
         [request_id, 'failed', 2 * USEC, 0, False, 'forged'])])
    testbed.wait_for(lambda: len(ignored([re.sub('^hostpm-suspend: ', '', line) for line in output().splitlines()],
                                         forger, 'Suspend\\w+')) >= 2 or not process.alive(),
                     '--wait to ignore both forgeries', interval=0.05)
    check(process.alive(), f'--wait still waits: {output()!r}')

    logind(bed).SetHoldWake(False)
    testbed.wait_for(lambda: not process.alive(), '--wait to end', timeout=OUTCOME_TIMEOUT)
    check_equal(process.popen.returncode, 0, f'the exit status of --wait: {output()!r}')
    results = [line for line in json_lines(output()) if 'result' in line]
    check_equal([(r['id'], r['result'], r['woken_by_alarm'], r['error']) for r in results],
                [(request_id, 'resumed', True, '')], 'what --wait reports')


#
# The bed is fit for these tests
#

def bed_policy(bed):
    '''A forgery proves something only if it arrives: NOBODY can send a
    signal straight to another user's connection (as on Debian's system
    bus) and cannot write the fake kernel's suspend_stats.'''
    start(bed)
    for name in ('success', 'fail'):
        path = os.path.join(bed.suspend_stats_dir, name)
        st = os.stat(path)
        check_equal((st.st_uid, st.st_mode & 0o022), (0, 0), f'{path}: owned by root, writable by root only')
        r = bed.run_as(NOBODY, ['sh', '-c', f'echo 99 > {path}'])
        check(r.returncode != 0 and counter(bed, name) == 0, f'NOBODY cannot write {path}: {r}')

    received = []
    bed.bus.add_signal_receiver(lambda *a: received.append(a), 'PrepareForSleep', LOGIND_IFACE,
                                path=LOGIND_PATH)
    forger = forge(bed, bed.bus.get_unique_name(), LOGIND,
                   [(LOGIND_PATH, LOGIND_IFACE, 'PrepareForSleep', 'b', [True])])
    bed.iterate_until(lambda: received, "NOBODY's signal to a root connection")
    check(forger.startswith(':'), f"the forger's unique name: {forger!r}")


#
# The forger: runs as NOBODY
#

def _forge(destination, signals_json):
    bus = dbus.bus.BusConnection(os.environ['DBUS_SYSTEM_BUS_ADDRESS'])
    me = bus.get_unique_name()
    for path, interface, member, signature, args in json.loads(signals_json):
        message = dbus.lowlevel.SignalMessage(path, interface, member)
        message.set_destination(destination)
        message.append(*[me if a == '@self' else a for a in args], signature=signature)
        bus.send_message(message)
    bus.flush()
    print(json.dumps({'sender': me}))
    return 0


CASES = {
    'forged-prepare-for-sleep': forged_prepare_for_sleep,
    'prepare-for-sleep-without-evidence': prepare_for_sleep_without_evidence,
    'kernel-suspend-fails': kernel_suspend_fails,
    'forged-job-signals': forged_job_signals,
    'forged-suspend-finished': forged_suspend_finished,
    'bed-policy': bed_policy,
}

if __name__ == '__main__':
    if sys.argv[1:2] == ['--forge']:
        sys.exit(_forge(*sys.argv[2:]))
    testbed.main(CASES)
