#!/usr/bin/python3
'''Issue 9, sections 2 to 4: time checks that go stale, callers who are not
authorized, and a cancel that says what it cancels.

Nothing here waits a fixed time or asserts a duration. Where time is the
subject, the test holds the moment still and moves past it on purpose:
  * polkit (templates/polkit.py, Hold) keeps its answer until the test has
    watched the wall clock pass the point where a wake time stops leaving
    MinimumDuration=, then releases it;
  * the systemd manager is stopped (SIGSTOP) so that a timer fires late,
    or so that hostpmd's questions to it go unanswered while the test
    checks that hostpmd still answers everyone else; it is continued in
    every case (SIGCONT), also on failure.

Clients run as unprivileged users: nobody and, made known to the bed's bus
by users.py, UIDs from 20000. D-Bus clients are this script re-executed
with --client.
'''

import json
import os
import select
import signal
import subprocess
import sys
import time

THIS = os.path.abspath(__file__)
HERE = os.path.dirname(THIS)

HOSTPM = 'org.hostpm1'
HOSTPM_PATH = '/org/hostpm1'
HOSTPM_IFACE = 'org.hostpm1.Manager'
E = 'org.hostpm1.Error.'
POLKIT = 'org.freedesktop.PolicyKit1'
POLKIT_PATH = '/org/freedesktop/PolicyKit1/Authority'
SUSPEND, CANCEL = 'org.hostpm1.suspend', 'org.hostpm1.cancel'
USEC = 1_000_000
NOBODY = 65534
ALICE, BOB = 20001, 20002
DRY_RUN = 2
HOUR = 3600 * USEC

# suspend-request-internal.h, log-limit.h
PER_UID_MAX, ALL_MAX = 4, 64
LOG_BURST, LOG_INTERVAL = 10, 6

FAST_CONFIG = '[Suspend]\nDelay=1s\nMinimumDuration=2s\n'


#
# The client: this script re-executed as another user, before testbed is
# imported
#

def client_main(spec):
    '''Sends spec['calls'] at once on one connection; with spec['ping'],
    then pings hostpmd on it and prints {"ready": true} once answered
    (hostpmd reads a connection's messages in order: by then it has taken
    in every call); prints {"results": [...]} once all are answered.'''
    import dbus
    import dbus.mainloop.glib
    from gi.repository import GLib

    dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
    bus = dbus.bus.BusConnection(os.environ['DBUS_SYSTEM_BUS_ADDRESS'])
    calls = spec['calls']
    results = [None] * len(calls)
    loop = GLib.MainLoop()
    left = [len(calls)]

    def answered(i, result):
        results[i] = result
        left[0] -= 1
        if left[0] == 0:
            loop.quit()

    def plain(v):
        return v if isinstance(v, str) else [plain(x) for x in v] if isinstance(v, (list, tuple)) else int(v)

    for i, c in enumerate(calls):
        bus.call_async(HOSTPM, HOSTPM_PATH, HOSTPM_IFACE, c['method'], c['signature'], c['args'],
                       lambda *reply, i=i: answered(i, {'reply': [plain(r) for r in reply]}),
                       lambda e, i=i: answered(i, {'error': e.get_dbus_name(), 'message': e.get_dbus_message()}),
                       timeout=120)
    if spec.get('ping'):
        bus.call_async(HOSTPM, HOSTPM_PATH, 'org.freedesktop.DBus.Peer', 'Ping', '', (),
                       lambda: print(json.dumps({'ready': True}), flush=True),
                       lambda e: print(json.dumps({'ping_error': str(e)}), flush=True))
    loop.run()
    print(json.dumps({'sender': bus.get_unique_name(), 'results': results}), flush=True)


if __name__ == '__main__' and len(sys.argv) == 2 and sys.argv[1] == '--client':
    client_main(json.load(sys.stdin))  # not argv: a call may carry a MiB
    sys.exit(0)


# pylint: disable=wrong-import-position
import journalevents
import testbed
from testbed import BedError, check, check_equal, wait_for

import users

try:
    import dbus
except ImportError:  # the outer copy; only the bed needs dbus
    dbus = None


#
# The bed, as these cases use it
#

def start(bed, polkit=None, logind=None, config=FAST_CONFIG, uids=()):
    '''hostpmd activatable, logind (all "yes" by default), our polkit
    template with these parameters (None: no polkit), the fake RTC ticking,
    and users for these UIDs. Returns the wakealarm's state.'''
    with open(os.path.join(bed.hostpm_config_dir, 'hostpm.conf'), 'w', encoding='utf-8') as f:
        f.write(config)
    if uids:
        users.add_users(bed, uids)
    bed.start(logind=logind or {}, hostpmd=True)
    if polkit is not None:
        bed.start_mock('polkitd', os.path.join(HERE, 'templates', 'polkit.py'), POLKIT, POLKIT_PATH, polkit)
    bed.start_rtc_clock()
    os.chmod(bed.runtime_dir, 0o711)  # unprivileged clients reach the bus (its socket is 0666)
    return wakealarm_state(bed)


def wakealarm_state(bed):
    st = os.lstat(bed.wakealarm_path)
    with open(bed.wakealarm_path, encoding='ascii') as f:
        return f.read(), st.st_mtime_ns


def call(method, signature='', args=()):
    return {'method': method, 'signature': signature, 'args': list(args)}


def schedule_call(target='mem', duration=600 * USEC, delay=0, flags=0):
    return call('ScheduleSuspend', 'sttt', [target, duration, delay, flags])


class Client:
    '''Calls from one connection of `uid`, in the background.'''

    def __init__(self, bed, calls, uid=NOBODY, ping=False):
        self.bed = bed
        argv = [testbed.PYTHON, THIS, '--client']
        if uid != 0:
            argv = ['setpriv', f'--reuid={uid}', f'--regid={uid}', '--clear-groups', '--'] + argv
        self.popen = subprocess.Popen(argv, env=bed.env, stdin=subprocess.PIPE,  # pylint: disable=consider-using-with
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.popen.stdin.write(json.dumps({'calls': calls, 'ping': ping}))
        self.popen.stdin.close()
        self.popen.stdin = None  # so communicate() does not flush it
        self.pid = self.popen.pid  # setpriv execs: the same process
        self.uid = uid

    def wait_ready(self, timeout=testbed.STARTUP_TIMEOUT):
        '''Every call is inside hostpmd, and hostpmd answered the ping after
        them: its event loop turns.'''
        readable, _, _ = select.select([self.popen.stdout], [], [], timeout)
        line = self.popen.stdout.readline() if readable else ''
        if json.loads(line or '{}').get('ready') is not True:
            raise BedError(f'client {self.pid}: hostpmd did not answer a ping within {timeout} s behind its '
                           f'calls: {line!r}')

    def result(self, timeout=60):
        try:
            out, err = self.popen.communicate(timeout=timeout)
        except subprocess.TimeoutExpired as e:
            self.popen.kill()
            self.popen.communicate()
            raise BedError(f'client {self.pid} (uid {self.uid}): no answer within {timeout} s') from e
        lines = [line for line in out.splitlines() if line.startswith('{"sender"')]
        check(self.popen.returncode == 0 and lines, f'client {self.pid} failed: {out!r} {err!r}')
        return json.loads(lines[-1])

    def kill(self):
        if self.popen.poll() is None:
            self.popen.kill()
            self.popen.communicate()


def call_as(bed, uid, *calls, timeout=60):
    '''The results of calls made at once as uid.'''
    return Client(bed, list(calls), uid).result(timeout)['results']


def root_call(bed, method, signature='', args=(), interface=HOSTPM_IFACE, timeout=30):
    return bed.bus.call_blocking(HOSTPM, HOSTPM_PATH, interface, method, signature, list(args), timeout=timeout)


def schedule_as_root(bed, delay=60 * USEC):
    request, _suspend, _wake = root_call(bed, 'ScheduleSuspend', 'sttt', ['mem', 600 * USEC, delay, 0])
    return str(request)


def properties(bed):
    obj = bed.bus.get_object(HOSTPM, HOSTPM_PATH, introspect=False)
    values = dbus.Interface(obj, 'org.freedesktop.DBus.Properties').GetAll(HOSTPM_IFACE)
    return {str(k): (str(v) if isinstance(v, dbus.String) else [str(x) for x in v] if isinstance(v, dbus.Array)
                     else int(v)) for k, v in values.items()}


def units(bed):
    manager = dbus.Interface(bed.bus.get_object('org.freedesktop.systemd1', '/org/freedesktop/systemd1'),
                             'org.freedesktop.systemd1.Manager')
    return sorted(str(u[0]) for u in manager.ListUnitsByPatterns(dbus.Array([], signature='s'),
                                                                 ['hostpm-suspend.*']))


def polkit(bed):
    return bed.mocks['polkitd'].control


def polkit_checks(bed):
    '''[(action, details)] of every CheckAuthorization().'''
    return [(str(args[1]), {str(k): str(v) for k, v in args[2].items()})
            for _name, args in bed.mocks['polkitd'].calls('CheckAuthorization')]


def wait_held(bed, count, timeout=120):
    try:
        wait_for(lambda: int(polkit(bed).HeldCount()) == count, f'{count} authorization checks held by polkit',
                 timeout=timeout, interval=0.05)
    except BedError as e:
        raise BedError(f'{e} (held: {int(polkit(bed).HeldCount())})') from e


def sleep_calls(bed):
    return list(bed.mocks['logind'].control.GetSleepCalls())


def refusals(bed, uid):
    return bed.journal.find(MESSAGE_ID=journalevents.message_id('REFUSED'), HOSTPM_REQUESTER_UID=str(uid))


def logged(bed, text):
    '''Plain log lines (hostpmd's stderr, the manager's) containing text.'''
    return [e for e in bed.journal.find() if text in e.get('MESSAGE', '')]


def check_error(result, name, *says):
    shown = {k: v[:300] if isinstance(v, str) else v for k, v in result.items()}  # a message may be a MiB
    check_equal(result.get('error'), name, f'the error of {shown}')
    for s in says:
        check(s in result['message'], f'the message does not say {s!r}: {shown["message"]!r}')


def check_nothing_scheduled(bed, untouched):
    check_equal(units(bed), [], 'hostpm-suspend.* units')
    check_equal(wakealarm_state(bed), untouched, 'the RTC wakealarm (never written)')
    check_equal(sleep_calls(bed), [], 'sleep verbs logind was asked for')


class ManagerStopped:
    '''The systemd manager stopped (SIGSTOP) for the block's time, and
    continued however the block ends.'''

    def __init__(self, bed):
        self.pid = bed.manager.popen.pid

    def __enter__(self):
        os.kill(self.pid, signal.SIGSTOP)
        return self

    def __exit__(self, *exc):
        os.kill(self.pid, signal.SIGCONT)


#
# 2. Time checks that go stale
#

def stale_minimum(bed):
    '''ScheduleSuspendUntil() leaves MinimumDuration= when it arrives, but
    polkit answers only after the wall clock has passed the point where it
    still would: refused then (DurationOutOfRange), nothing scheduled.'''
    untouched = start(bed, polkit={'Allowed': [SUSPEND], 'Hold': True},
                      config='[Suspend]\nDelay=1s\nMinimumDuration=5s\n')
    wake = int(time.time()) + 1 + 5 + 4  # whole seconds: as the RTC counts
    client = Client(bed, [call('ScheduleSuspendUntil', 'sttt', ['mem', wake * USEC, 0, 0])])
    wait_held(bed, 1)  # past every check before polkit

    # authorized from now on, the suspend (1 s later) leaves less than 5 s
    wait_for(lambda: time.time() > wake - 1 - 5 + 0.1, 'the wake time to come closer than the minimum',
             timeout=20, interval=0.05)
    polkit(bed).ReleaseHeld()
    (result,) = client.result()['results']
    check_error(result, E + 'DurationOutOfRange', 'By the time the request was authorized', 'expected 5s to')
    check_nothing_scheduled(bed, untouched)
    wait_for(lambda: refusals(bed, NOBODY), 'the refusal in the journal')


def helper_min_seconds(bed):
    '''The timer fires late (the manager was stopped past the point where
    the wake time leaves MinimumDuration=): hostpm-sleep, told
    --min-seconds=, refuses: failed, no alarm written, logind not asked.'''
    # a wide window (20 s) between too close and past, for the helper to
    # start in once the manager goes on
    untouched = start(bed, config='[Suspend]\nDelay=1s\nMinimumDuration=20s\n')
    wake = int(time.time()) + 4 + 20 + 2
    request, suspend, _ = root_call(bed, 'ScheduleSuspendUntil', 'sttt', ['mem', wake * USEC, 4 * USEC, 0])
    with ManagerStopped(bed):
        check(time.time() * USEC < suspend, 'the manager was stopped before the timer was due (a bed this '
              'slow cannot run the case)')
        # the helper, started only now, would find less than 20 s to the wake time
        wait_for(lambda: time.time() > wake - 20 + 1, 'the wake time to come closer than the minimum',
                 timeout=30, interval=0.05)
    p = wait_for(lambda: (lambda p: p if p['LastId'] == request and p['LastResult'] not in ('', 'suspending')
                          else None)(properties(bed)), 'the request to end', timeout=60, interval=0.1)
    check_equal(p['LastResult'], 'failed', f'the outcome ({p["LastError"]!r})')
    check('less than the minimum of 20 s' in p['LastError'] and 'no alarm was set' in p['LastError'],
          f'the outcome says why: {p["LastError"]!r}')
    check_equal(wakealarm_state(bed), untouched, 'the RTC wakealarm (never written)')
    check_equal(sleep_calls(bed), [], 'sleep verbs logind was asked for')


def maximum_beyond_helper(bed):
    '''MaximumDuration= more than hostpm-sleep accepts (here 2^64 - 1 us,
    which made a request of that length wake a moment after the suspend):
    hostpmd refuses to start and says why.'''
    start(bed, config='[Suspend]\nMaximumDuration=18446744073709551615us\n')
    try:
        answer = root_call(bed, 'ScheduleSuspend', 'sttt', ['mem', 2**64 - 1, 0, DRY_RUN])
    except dbus.exceptions.DBusException as e:
        answer = e.get_dbus_name()
    check(isinstance(answer, str), f'hostpmd accepted the configuration and answered {answer}')
    wait_for(lambda: logged(bed, 'MaximumDuration=18446744073709551615us: too long; expected at most 366d'),
             'hostpmd to say what is wrong with the configuration')


#
# 3. Callers who are not authorized
#

def long_target(bed):
    '''A target of 1 MiB is refused with a short message, before anything
    formats it, and the journal entry does not carry it either.'''
    start(bed)
    (result,) = call_as(bed, NOBODY, schedule_call('x' * (1 << 20)))
    check_error(result, E + 'InvalidTarget', 'longer than 32 bytes')
    check(len(result['message']) < 200, f'a short message: {len(result["message"])} characters')
    (entry,) = wait_for(lambda: refusals(bed, NOBODY), 'the refusal in the journal')
    check_equal(entry.get('HOSTPM_TARGET', ''), '', 'the target in the journal entry')
    check(sum(len(v) for v in entry.values()) < 4096, f'a small journal entry: {entry}')


def journal_budget(bed):
    '''One UID's stream of refused calls fills the journal with at most its
    budget (10, and one per 6 s after that); hostpmd says it drops them;
    every call is still answered, and another UID is still journaled.'''
    start(bed, uids=[ALICE])
    calls = 3 * LOG_BURST
    started = time.monotonic()
    results = call_as(bed, NOBODY, *[schedule_call('bogus')] * calls)
    elapsed = time.monotonic() - started
    check_equal([r.get('error') for r in results], [E + 'InvalidTarget'] * calls, 'every call answered')

    (other,) = call_as(bed, ALICE, schedule_call('bogus'))
    check_error(other, E + 'InvalidTarget')
    wait_for(lambda: refusals(bed, ALICE), 'the other UID\'s refusal in the journal')
    wait_for(lambda: logged(bed, f'UID {NOBODY} made more than {LOG_BURST} refused calls'),
             'hostpmd to say it drops entries')
    journaled = len(refusals(bed, NOBODY))
    allowed = LOG_BURST + int(elapsed / LOG_INTERVAL) + 1
    check(LOG_BURST <= journaled <= allowed and journaled < calls,
          f'{journaled} of {calls} refusals journaled in {elapsed:.1f} s; expected {LOG_BURST} to {allowed}')


def cap_per_uid(bed):
    '''A UID with 4 calls waiting (for polkit) gets TooManyRequests for a
    fifth at once; another UID is not held back by it.'''
    start(bed, polkit={'Allowed': [SUSPEND], 'Hold': True}, uids=[ALICE, BOB])
    held = [Client(bed, [schedule_call(flags=DRY_RUN)] * PER_UID_MAX, ALICE)]
    try:
        wait_held(bed, PER_UID_MAX)
        (result,) = call_as(bed, ALICE, schedule_call(flags=DRY_RUN), timeout=15)
        check_error(result, E + 'TooManyRequests', f'UID {ALICE}', f'at most {PER_UID_MAX}')
        held.append(Client(bed, [schedule_call(flags=DRY_RUN)], BOB))
        wait_held(bed, PER_UID_MAX + 1)
        check_equal(int(polkit(bed).ReleaseHeld()), PER_UID_MAX + 1, 'calls released')
        for c in held:
            for r in c.result()['results']:
                check_equal(r.get('reply', [None])[0], '', f'a dry run, authorized: {r}')
    finally:
        for c in held:
            c.kill()


def cap_total(bed):
    '''With 64 calls of 16 UIDs waiting, a seventeenth UID gets
    TooManyRequests; root is not counted and still gets through.'''
    uids = list(range(20100, 20117))
    start(bed, polkit={'Allowed': [SUSPEND], 'Hold': True}, uids=uids)
    held = []
    try:
        for uid in uids[:-1]:
            held.append(Client(bed, [schedule_call(flags=DRY_RUN)] * PER_UID_MAX, uid))
        wait_held(bed, ALL_MAX)
        (result,) = call_as(bed, uids[-1], schedule_call(flags=DRY_RUN), timeout=15)
        check_error(result, E + 'TooManyRequests', f'at most {ALL_MAX}')
        check_equal(str(root_call(bed, 'ScheduleSuspend', 'sttt', ['mem', 600 * USEC, 0, DRY_RUN])[0]), '',
                    'root\'s dry run while 64 calls wait')
        polkit(bed).ReleaseHeld()
        answers = [r for c in held for r in c.result()['results']]
        check_equal(len([r for r in answers if r.get('reply', [None])[0] == '']), ALL_MAX, 'dry runs authorized')
    finally:
        for c in held:
            c.kill()


def no_block_on_pid1(bed):
    '''With systemd's manager not answering, the checks before polkit of an
    unprivileged ScheduleSuspend() and CancelSuspend() wait for it without
    stopping hostpmd: their own connection's ping and root's are answered
    while they wait; they end once the manager answers.'''
    start(bed)
    root_call(bed, 'Ping', interface='org.freedesktop.DBus.Peer')  # hostpmd up before the manager stops
    client = None
    try:
        with ManagerStopped(bed):
            client = Client(bed, [schedule_call(), call('CancelSuspend')], ping=True)
            client.wait_ready()
            root_call(bed, 'Ping', interface='org.freedesktop.DBus.Peer', timeout=15)
            check(client.popen.poll() is None, 'the calls were answered although systemd could not be asked')
        schedule, cancel = client.result()['results']
    finally:
        if client:
            client.kill()
    check_error(schedule, E + 'NotAuthorized')  # no polkit in this bed
    check_error(cancel, E + 'NothingPending')


def cli_escapes(bed):
    '''An inhibitor's who and why are other users' words: the CLI prints
    them escaped, never a raw escape sequence, in --wait's outcome and in
    --status.'''
    who, why = '\x1b]0;owned\x07', '\x1b[2J\x1b[Hcleared'
    start(bed, logind={'BlockInhibitor': {'what': 'sleep', 'who': who, 'why': why, 'mode': 'block'}})
    for args, status in ((['--wait', '2s'], 9), (['--status'], 0)):
        r = bed.run([bed.cli, '--no-ask-password', *args])
        check_equal(r.returncode, status, f'hostpm-suspend {args}: {r.stdout!r} {r.stderr!r}')
        for out in (r.stdout, r.stderr):
            check(not any(c in out for c in '\x1b\x07\x9b'), f'hostpm-suspend {args} printed raw controls: {out!r}')
        check('\\x1b]0;owned\\x07' in r.stdout and '\\x1b[2J\\x1b[Hcleared' in r.stdout,
              f'hostpm-suspend {args} shows who and why, escaped: {r.stdout!r}')


#
# 4. Cancel that says what it cancels
#

def cancel_by_id(bed):
    '''CancelSuspendById() cancels the request named, and refuses any other
    id (NoSuchRequest) without touching what is pending; the CLI's
    --cancel=ID is it; CancelSuspend() still cancels whatever is pending.'''
    start(bed, polkit={'Allowed': [CANCEL]})
    request = schedule_as_root(bed)
    other = '0' * 32 if request != '0' * 32 else '1' * 32
    long_id = 'x' * 4096
    results = call_as(bed, NOBODY, call('CancelSuspendById', 's', [other]),
                      call('CancelSuspendById', 's', [long_id]),
                      call('CancelSuspendById', 's', ['not-an-id']))
    check_error(results[0], E + 'NoSuchRequest', f'Request {other} is not pending (request {request} is)')
    check_error(results[1], E + 'NoSuchRequest', 'longer than 64 bytes')
    check('xxxx' not in results[1]['message'], 'the long id is not echoed')
    check_error(results[2], E + 'NoSuchRequest', "'not-an-id' is not a request id")
    check_equal(properties(bed)['PendingId'], request, 'still pending')

    r = bed.run_as(NOBODY, [bed.cli, '--no-ask-password', f'--cancel={other}'])
    check_equal(r.returncode, 7, f'--cancel=<another id>: {r.stderr!r}')
    r = bed.run_as(NOBODY, [bed.cli, '--no-ask-password', f'--cancel={request}'])
    check_equal((r.returncode, r.stdout), (0, f'Cancelled request {request}.\n'), f'--cancel=ID ({r.stderr!r})')
    wait_for(lambda: not units(bed), 'the cancelled units to go')

    request = schedule_as_root(bed)
    (result,) = call_as(bed, NOBODY, call('CancelSuspend'))
    check_equal(result.get('reply'), [request], 'CancelSuspend() cancels the pending request')


def cancel_pinned(bed):
    '''A cancel waits for polkit while its request is cancelled and another
    scheduled: it does not cancel the other one (NoSuchRequest), which
    polkit was never asked about.'''
    start(bed, polkit={'Allowed': [CANCEL], 'Hold': True})
    first = schedule_as_root(bed)
    client = Client(bed, [call('CancelSuspend')])
    wait_held(bed, 1)
    check_equal(str(root_call(bed, 'CancelSuspend')), first, 'root cancels the first meanwhile')
    wait_for(lambda: not units(bed), 'the cancelled units to go')
    second = schedule_as_root(bed)
    polkit(bed).ReleaseHeld()
    (result,) = client.result()['results']
    check_error(result, E + 'NoSuchRequest', first, second)
    check_equal(properties(bed)['PendingId'], second, 'the second request is still pending')
    check_equal([d['request_id'] for _a, d in polkit_checks(bed)], [first], 'what polkit was asked about')


def polkit_details(bed):
    '''Every polkit check names the request: its id, target, duration, wake
    time and requester; for a cancel, those of the request cancelled.'''
    start(bed, polkit={'Allowed': [SUSPEND, CANCEL]}, uids=[ALICE])
    wake = int(time.time()) + 3600
    (result,) = call_as(bed, NOBODY, call('ScheduleSuspendUntil', 'sttt', ['mem', wake * USEC, 60 * USEC, 0]))
    request, suspend, reply_wake = result['reply']
    check_equal(reply_wake, wake * USEC, 'the planned wake time')
    (result,) = call_as(bed, ALICE, call('CancelSuspend'))
    check_equal(result.get('reply'), [request], 'cancelled')

    (schedule, s), (cancel, c) = polkit_checks(bed)
    check_equal((schedule, cancel), (SUSPEND, CANCEL), 'the actions')
    for what, details in (('schedule', s), ('cancel', c)):
        check_equal(sorted(details), ['duration', 'duration_usec', 'request_id', 'requester_uid', 'target',
                                      'wake_usec'], f'the {what}\'s details')
        check_equal((details['request_id'], details['target'], details['wake_usec'], details['requester_uid']),
                    (request, 'mem', str(wake * USEC), str(NOBODY)), f'the {what}\'s details')
    # asked a moment before the reply's plan: a little more than the reply's sleep
    asleep = int(s['duration_usec'])
    check(reply_wake - suspend <= asleep < reply_wake - suspend + 60 * USEC, f'duration_usec {asleep}')
    # the cancel's: the pending request's, from its timer, in whole seconds
    asleep = int(c['duration_usec'])
    check(reply_wake - suspend - 2 * USEC <= asleep <= reply_wake - suspend + USEC, f'duration_usec {asleep}')


def own_request_rule(bed):
    '''A rule on the details (the mock plays the shipped example: members
    may cancel only their own request): Bob may not cancel Alice's
    request, Alice may.'''
    start(bed, polkit={'Allowed': [SUSPEND], 'OwnRequestOnly': [CANCEL]}, uids=[ALICE, BOB])
    (result,) = call_as(bed, ALICE, schedule_call(delay=60 * USEC))
    request = result['reply'][0]
    (result,) = call_as(bed, BOB, call('CancelSuspend'))
    check_error(result, E + 'NotAuthorized')
    check_equal(properties(bed)['PendingId'], request, 'still pending after Bob\'s cancel')
    (result,) = call_as(bed, ALICE, call('CancelSuspendById', 's', [request]))
    check_equal(result.get('reply'), [request], 'Alice cancels her own request')
    check_equal([(a, d['requester_uid']) for a, d in polkit_checks(bed)],
                [(SUSPEND, str(ALICE)), (CANCEL, str(ALICE)), (CANCEL, str(ALICE))], 'what polkit decided on')


CASES = {
    'stale-minimum': stale_minimum,
    'helper-min-seconds': helper_min_seconds,
    'maximum-beyond-helper': maximum_beyond_helper,
    'long-target': long_target,
    'journal-budget': journal_budget,
    'cap-per-uid': cap_per_uid,
    'cap-total': cap_total,
    'no-block-on-pid1': no_block_on_pid1,
    'cli-escapes': cli_escapes,
    'cancel-by-id': cancel_by_id,
    'cancel-pinned': cancel_pinned,
    'polkit-details': polkit_details,
    'own-request-rule': own_request_rule,
}

if __name__ == '__main__':
    testbed.main(CASES)
