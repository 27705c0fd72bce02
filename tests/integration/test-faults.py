#!/usr/bin/python3
'''Faults (issue 4): an RTC that does not keep the alarm or cannot be
written, and the services around hostpm failing -- logind vanishing,
systemd refusing the unit, the helper missing or stopped at each point of
its work, hostpmd killed mid-request, logind refusing the sleep. Each case
checks that nothing is left behind (no unit, no stray alarm), that the
outcome says what happened, and that hostpmd lives on. (polkit's faults
are in test-polkit.py.)

The RTC that does not keep its alarm is played by the test itself through
a FIFO (FifoRtc), so the window between "alarm written" and "alarm
verified" stays open exactly as long as the test needs.
'''

import json
import os
import re
import signal
import sys
import time

import testbed
from testbed import BedError, check, check_equal, wait_for

from hostpmtest import (ACTIONS, E, EXIT_BUSY, EXIT_FAILED, EXIT_NOTHING_PENDING, EXIT_OK, EXIT_SLEEP_FAILED,
                        FAST_CONFIG, NEVER, NO_REPLY, NOBODY, USEC, Client, Signals, _schedule, activate, call_as,
                        call_spec, can_calls, check_daemon_answers, check_says, decision, dispatch,
                        hostpm_properties, hostpm_units, hostpmd_state, install, polkit_asked, root_call, run_cli,
                        schedule_as_nobody, sleep_calls, start, start_polkit, unit_properties, wait_nothing_left,
                        write)


class FifoRtc:
    '''The RTC's wakealarm attribute played by the test through a FIFO.

    The test holds a read end open all along: the helper's writes (one
    line each, "<seconds>\\n") never block and are read back line by line.
    Its read-back open(2) blocks until the test opens the writing end, so
    the test decides what the helper reads back, and when: between
    "alarm written" and "alarm verified" the window stays open as long as
    the test likes. serve_read() waits until the helper has taken every
    byte, so the test's own read end never takes what was meant for it.

    Put in only after scheduling (hostpmd reads wakealarm when asked for
    the capabilities) and fire the service by hand.'''

    def __init__(self, bed):
        self.path = bed.wakealarm_path
        os.unlink(self.path)
        os.mkfifo(self.path, 0o600)
        self.fd = os.open(self.path, os.O_RDONLY | os.O_NONBLOCK)
        self.buffer = b''
        self.writes = []

    def expect_write(self, timeout=testbed.STARTUP_TIMEOUT):
        '''The next value the helper wrote (waits for it).'''
        deadline = time.monotonic() + timeout
        while b'\n' not in self.buffer:
            try:
                chunk = os.read(self.fd, 4096)
            except BlockingIOError:
                chunk = b''
            if chunk:
                self.buffer += chunk
                continue
            if time.monotonic() > deadline:
                raise BedError(f'the helper wrote nothing more to wakealarm within {timeout} s '
                               f'(so far: {self.writes}, then {self.buffer!r})')
            time.sleep(0.01)
        line, self.buffer = self.buffer.split(b'\n', 1)
        self.writes.append(line.decode('ascii', 'replace'))
        return self.writes[-1]

    def serve_read(self, content, timeout=testbed.STARTUP_TIMEOUT):
        '''What the helper reads back next (not empty): content, once it
        has taken it. Until then the test must not read its own end.'''
        check(content, 'FifoRtc serves something; an empty read-back needs no FIFO')
        check_equal(self.buffer, b'', 'writes not yet looked at when serving a read')
        fd = os.open(self.path, os.O_WRONLY | os.O_NONBLOCK)  # never blocks: our read end is open
        try:
            os.write(fd, content.encode('ascii'))
            # the helper reads it all at once; what follows are its next
            # writes, which are shorter ("0\\n")
            wait_for(lambda: self._unread() < len(content), 'the helper to read wakealarm back', timeout)
        finally:
            os.close(fd)

    def _unread(self):
        import fcntl  # pylint: disable=import-outside-toplevel
        import termios  # pylint: disable=import-outside-toplevel
        return int.from_bytes(fcntl.ioctl(self.fd, termios.FIONREAD, b'\0\0\0\0'), sys.byteorder)

    def close(self):
        '''A plain file again, holding the last value written.'''
        os.close(self.fd)
        os.unlink(self.path)
        write(self.path, f'{self.writes[-1]}\n' if self.writes else '')


def fire_by_hand(bed):
    '''Starts the scheduled service now, as its timer would (the timer was
    set to NEVER, so it cannot race the test).'''
    r = bed.run(['systemctl', '--user', 'start', '--no-block', 'hostpm-suspend.service'])
    check_equal(r.returncode, 0, f'systemctl start hostpm-suspend.service: {r.stderr}')


def helper_pid(bed):
    return unit_properties(bed, 'hostpm-suspend.service', 'org.freedesktop.systemd1.Service', 'MainPID')['MainPID']


def signal_pending(pid, sig):
    '''sig is pending (blocked, not yet taken) for process pid.'''
    with open(f'/proc/{pid}/status', encoding='ascii') as f:
        fields = dict(line.split(':', 1) for line in f if ':' in line)
    mask = int(fields['ShdPnd'], 16) | int(fields['SigPnd'], 16)
    return bool(mask & (1 << (sig - 1)))


def rtc_readback(name, answer, says):
    '''The RTC holds something other than what the helper wrote: it must
    not suspend, must clear what it wrote, and must say so.'''
    def test(bed):
        start(bed)
        client, request = schedule_as_nobody(bed, delay=NEVER)
        rtc = FifoRtc(bed)
        signals = Signals(bed)
        fire_by_hand(bed)
        check_equal(rtc.expect_write(), '0', f'{name}: first write (the old alarm cleared)')
        alarm = rtc.expect_write()
        check(alarm.isdigit() and int(alarm) > 0, f'{name}: the alarm written: {alarm!r}')
        rtc.serve_read(answer(int(alarm)))
        check_equal(rtc.expect_write(), '0', f'{name}: the unverified alarm cleared')
        _id, result, _asked, _slept, _woken, error = signals.finished(request)
        check_equal(result, 'failed', f'{name}: the outcome')
        check_says(error, says, f'{name}: the outcome\'s error')
        check_equal(sleep_calls(bed), [], f'{name}: logind asked to sleep')
        check_equal(rtc.writes, ['0', alarm, '0'], f'{name}: every write to wakealarm')
        decision(bed, 'FAILED', NOBODY, client, HOSTPM_REQUEST_ID=request)
        rtc.close()
        root_call(bed, 'CancelSuspend')  # the timer set to NEVER
        wait_nothing_left(bed, name)
    return test


def rtc_reads_back_nothing(bed):
    '''An RTC that takes every write and keeps none (wakealarm is
    /dev/null): the helper finds nothing there, never suspends.'''
    watch = start(bed, config=FAST_CONFIG)
    os.unlink(bed.wakealarm_path)
    os.symlink('/dev/null', bed.wakealarm_path)
    watch.alarm = watch.alarm_state()
    signals = Signals(bed)
    client, request = schedule_as_nobody(bed, duration=5 * USEC)
    _id, result, _asked, _slept, _woken, error = signals.finished(request)
    check_equal(result, 'failed', 'the outcome')
    check_says(error, ['RTC rtc0 did not keep the alarm'], 'the outcome\'s error')
    check_equal(sleep_calls(bed), [], 'logind asked to sleep')
    decision(bed, 'FAILED', NOBODY, client, HOSTPM_REQUEST_ID=request)
    wait_nothing_left(bed, 'rtc-reads-back-nothing')


def rtc_unwritable(bed):
    '''wakealarm read-only: the helper (root, but without capabilities)
    cannot write it, never suspends, and says which file it could not write.'''
    watch = start(bed, config=FAST_CONFIG)
    os.chmod(bed.wakealarm_path, 0o444)
    watch.alarm = watch.alarm_state()
    signals = Signals(bed)
    client, request = schedule_as_nobody(bed, duration=5 * USEC)
    _id, result, _asked, _slept, _woken, error = signals.finished(request)
    check_equal(result, 'failed', 'the outcome')
    check_says(error, [f'cannot write {bed.wakealarm_path}', 'Permission denied'], 'the outcome\'s error')
    check_equal(sleep_calls(bed), [], 'logind asked to sleep')
    check_equal(watch.alarm_state(), watch.alarm, 'the wake alarm (type, inode, mtime, content)')
    decision(bed, 'FAILED', NOBODY, client, HOSTPM_REQUEST_ID=request)
    wait_nothing_left(bed, 'rtc-unwritable')
    check_equal(hostpm_properties(bed)['LastResult'], 'failed', 'LastResult')


#
# Faults of the services around hostpm
#

def logind_vanishes_mid_query(bed):
    '''logind is killed while it holds its answers to hostpmd's four
    questions: the schedule is refused as "capabilities unknown", the
    capabilities claim nothing, and hostpmd lives on.'''
    watch = start(bed, logind={'CanBatch': 5, 'CanDelayMs': 60000})  # held until the test says
    pid = activate(bed)
    schedule = Client(bed, [_schedule()])
    capabilities = Client(bed, [call_spec('GetCapabilities')], uid=0)
    wait_for(lambda: len(can_calls(bed)) == 4, 'hostpmd to ask logind its four questions')
    bed.mocks['logind'].process.popen.kill()
    bed.mocks['logind'].process.popen.wait()

    (result,) = schedule.result()['results']
    check_equal(result.get('error'), E + 'CapabilitiesUnknown', f'the schedule\'s error ({result})')
    check_says(result['message'], ["'mem'", 'logind could not be asked', 'nothing was scheduled'], 'the error')
    (result,) = capabilities.result()['results']
    document = result['reply'][0]
    check('<power_management' not in document, f'capabilities claimed without logind:\n{document}')
    watch.check_nothing_made('logind vanished')
    check_equal(polkit_asked(bed), [], 'polkit asked although the request was refused')
    check_equal(hostpmd_state(bed), ('active', pid, 0), 'hostpmd.service (no crash)')

    # logind is back: the next request works (a dry run schedules nothing)
    bed.start_logind()
    client, (result,) = call_as(bed, [_schedule(flags=2)])
    check_equal(result['reply'][0], '', f'the dry run after logind came back ({result})')
    watch.check_nothing_made('after logind came back')
    check_daemon_answers(bed, pid, 'after logind came back')


def systemd_refuses_unit(bed):
    '''The manager refuses the transient unit (here: an ExecStart= that is
    neither a plain name nor an absolute path): a clear error, nothing
    created, nothing left.'''
    watch = start(bed, env={'HOSTPM_SLEEP_PATH': 'relative/hostpm-sleep'})
    pid = activate(bed)
    client, r = run_cli(bed, ['--no-ask-password', '10min'])
    check_equal(r.returncode, EXIT_FAILED, f'exit status (stderr {r.stderr!r})')
    check_says(r.stderr, ['systemd refused to schedule the suspend', 'relative/hostpm-sleep'], 'stderr')
    entry = decision(bed, 'REFUSED', NOBODY, client)
    check_says(entry['HOSTPM_ERROR'], ['systemd refused'], 'the refusal in the journal')
    # systemd loads the pair before it checks their properties, then drops
    # them: nothing may be left, and no alarm written
    watch.check_nothing_left('systemd refused')
    check_equal(watch.alarm_state(), watch.alarm, 'the wake alarm')
    check_daemon_answers(bed, pid, 'systemd refused')


def systemd_unit_masked(bed):
    '''hostpm-suspend.timer is masked (or any unit file holds the name):
    systemd answers UnitExists. Nothing is pending, so "busy, cancel it
    first" would send the admin after a request that does not exist; the
    error must name the unit in the way.'''
    install(bed)
    os.symlink('/dev/null', os.path.join(bed.unit_dir, 'hostpm-suspend.timer'))
    bed.start(logind={})
    start_polkit(bed, ACTIONS)
    os.chmod(bed.runtime_dir, 0o711)
    _client, r = run_cli(bed, ['--no-ask-password', '10min'])
    check(r.returncode not in (EXIT_OK, EXIT_BUSY), f'exit status {r.returncode} (stderr {r.stderr!r})')
    check_says(r.stderr, ['hostpm-suspend.timer'], 'stderr')
    _client, r = run_cli(bed, ['--cancel'])
    check_equal(r.returncode, EXIT_NOTHING_PENDING, 'exit status of --cancel')


def helper_missing(bed):
    '''The helper cannot be executed (203/EXEC): no alarm, no sleep, the
    request ends as failed for whoever follows it, nothing is left.'''
    watch = start(bed, config=FAST_CONFIG, env={'HOSTPM_SLEEP_PATH': '/nonexistent/hostpm-sleep'})
    _client, r = run_cli(bed, ['--no-ask-password', '--wait', '2s'])
    check_equal(r.returncode, EXIT_SLEEP_FAILED, f'exit status (stderr {r.stderr!r})')
    check_says(r.stdout, ['failed', 'left no outcome record'], 'stdout')
    check_equal(sleep_calls(bed), [], 'logind asked to sleep')
    check_equal(watch.alarm_state(), watch.alarm, 'the wake alarm')
    wait_nothing_left(bed, 'helper missing')


def helper_missing_after_earlier_outcome(bed):
    '''As helper-missing, with the record of an earlier request on disk:
    SuspendFinished must not announce that earlier request's outcome as
    the end of this one.'''
    old = {'id': 'earlier', 'target': 'mem', 'result': 'resumed', 'error': '', 'asked_usec': 60 * USEC,
           'slept_usec': 60 * USEC, 'woken_by_alarm': True, 'alarm': 1, 'started_realtime_usec': 1,
           'resumed_realtime_usec': 2, 'requester_uid': 0, 'requester_pid': 1}
    write(os.path.join(bed.config_home, 'hostpm', 'last-outcome.json'), json.dumps(old))
    start(bed, config=FAST_CONFIG, env={'HOSTPM_SLEEP_PATH': '/nonexistent/hostpm-sleep'})
    signals = Signals(bed)
    _client, request = schedule_as_nobody(bed, duration=2 * USEC)
    bed.iterate_until(lambda: any(m == 'SuspendFinished' for m, _a in signals.seen), 'SuspendFinished')
    wait_nothing_left(bed, 'helper missing')
    finished = [a for m, a in signals.seen if m == 'SuspendFinished']
    check(all(a[0] != 'earlier' for a in finished),
          f'SuspendFinished announced the earlier request\'s outcome for {request}: {finished}')


def hostpmd_sigkill_during_request(bed):
    '''hostpmd dies (SIGKILL) while polkit thinks about a request: the
    caller gets an error, no half-made unit exists, and the next request
    starts a new hostpmd and works.'''
    watch = start(bed)
    bed.mocks['polkitd'].control.SimulateHang(True)
    pid = activate(bed)
    client = Client(bed, [_schedule()])
    wait_for(lambda: bed.mocks['polkitd'].control.HaveHangingCalls(), 'the request to reach polkit')
    r = bed.run(['systemctl', '--user', 'kill', '--signal=SIGKILL', 'hostpmd.service'])
    check_equal(r.returncode, 0, f'systemctl kill: {r.stderr}')
    (result,) = client.result()['results']
    check_equal(result.get('error'), NO_REPLY, f'what the caller got ({result})')
    watch.check_nothing_made('hostpmd killed')

    bed.mocks['polkitd'].control.SimulateHang(False)
    client, request = schedule_as_nobody(bed)
    _state, new_pid, _restarts = hostpmd_state(bed)
    check(new_pid not in (0, pid), f'a new hostpmd serves the next request (pid {new_pid}, was {pid})')
    decision(bed, 'SCHEDULED', NOBODY, client, HOSTPM_REQUEST_ID=request)
    check_equal([u[:3] for u in hostpm_units(bed)],
                [('hostpm-suspend.service', 'loaded', 'inactive'), ('hostpm-suspend.timer', 'loaded', 'active')],
                'the units of the request')
    check_equal(root_call(bed, 'CancelSuspend'), request, 'cancelled')
    wait_nothing_left(bed, 'after the cancel')


def helper_sigterm_after_alarm(bed):
    '''The helper's unit is stopped (SIGTERM) after the alarm is written,
    before logind is asked: the alarm is cleared, nothing sleeps, and the
    outcome says "cancelled". The window is held open by the RTC itself:
    the helper waits in open() to read its alarm back until the test has
    seen SIGTERM pending for it.'''
    start(bed)
    client, request = schedule_as_nobody(bed, delay=NEVER)
    rtc = FifoRtc(bed)
    signals = Signals(bed)
    fire_by_hand(bed)
    check_equal(rtc.expect_write(), '0', 'first write (the old alarm cleared)')
    alarm = rtc.expect_write()
    pid = helper_pid(bed)
    r = bed.run(['systemctl', '--user', 'stop', '--no-block', 'hostpm-suspend.service'])
    check_equal(r.returncode, 0, f'systemctl stop: {r.stderr}')
    wait_for(lambda: signal_pending(pid, signal.SIGTERM), 'SIGTERM pending for the helper')
    rtc.serve_read(f'{alarm}\n')  # verified: the helper now has a valid alarm set
    check_equal(rtc.expect_write(), '0', 'the alarm cleared')
    _id, result, _asked, _slept, _woken, error = signals.finished(request)
    check_equal((result, error), ('cancelled', 'stopped by SIGTERM before logind was asked to sleep'),
                'the outcome')
    check_equal(sleep_calls(bed), [], 'logind asked to sleep')
    check_equal(rtc.writes, ['0', alarm, '0'], 'every write to wakealarm')
    decision(bed, 'CANCELLED', NOBODY, client, HOSTPM_REQUEST_ID=request)
    rtc.close()
    root_call(bed, 'CancelSuspend')
    wait_nothing_left(bed, 'helper stopped')


def helper_sigterm_after_commit(bed):
    '''By design the other side of that window: once logind has been asked,
    a stop signal is logged and ignored and the alarm stays until the resume.'''
    watch = start(bed, logind={'SleepMaxSec': 3600}, config=FAST_CONFIG)
    client, request = schedule_as_nobody(bed, duration=600 * USEC)
    logind = bed.mocks['logind'].control
    wait_for(lambda: [s for s in logind.GetSleeps() if s[2] == 0], 'the host to be asleep')
    alarm = watch.alarm_state()[3]
    check(alarm.strip().isdigit() and int(alarm) > 0, f'the alarm while asleep: {alarm!r}')
    pid = helper_pid(bed)
    r = bed.run(['systemctl', '--user', 'stop', '--no-block', 'hostpm-suspend.service'])
    check_equal(r.returncode, 0, f'systemctl stop: {r.stderr}')
    wait_for(lambda: [e for e in bed.journal.find(_SYSTEMD_UNIT='hostpm-suspend.service')
                      if 'Received SIGTERM' in e.get('MESSAGE', '')], 'the helper to log the SIGTERM')
    check(os.path.exists(f'/proc/{pid}'), 'the helper ended on SIGTERM while the host slept')
    check_equal(watch.alarm_state()[3], alarm, 'the alarm after SIGTERM')
    logind.WakeUp()
    # (SuspendFinished is not waited for: see unit-stopped-while-asleep)
    wait_for(lambda: (lambda p: (p['LastId'], p['LastResult']))(hostpm_properties(bed)) == (request, 'resumed'),
             'the outcome "resumed"')
    check_equal(watch.alarm_state()[3].strip(), '0', 'the alarm after the resume')
    decision(bed, 'RESUMED', NOBODY, client, HOSTPM_REQUEST_ID=request)
    wait_nothing_left(bed, 'after the resume')


def refusal_in_json(bed):
    '''logind's words go into hostpm-suspend --wait --json as they are:
    the output must stay JSON whatever they contain.'''
    start(bed, config=FAST_CONFIG, logind={'SuspendError': 'org.freedesktop.DBus.Error.AccessDenied',
                                           'SuspendErrorMessage': 'Refused: "on battery" \\ for now'})
    _pid, r = run_cli(bed, ['--no-ask-password', '--wait', '--json', '5s'])
    check_equal(r.returncode, EXIT_SLEEP_FAILED, f'exit status (stderr {r.stderr!r})')
    outcome = r.stdout.strip().splitlines()[-1]
    try:
        parsed = json.loads(outcome)
    except ValueError as e:
        raise AssertionError(f'--wait --json printed no JSON ({e}): {outcome!r}') from e
    check_says(parsed['error'], ['Refused: "on battery" \\ for now'], 'the outcome\'s error')


def unit_stopped_while_asleep(bed):
    '''The helper's unit is stopped while the host sleeps (the helper
    rightly stays until the resume): hostpmd must not announce the request
    as finished -- it is not -- so a follower (hostpm-suspend --wait) does
    not give up on a host that is about to wake.'''
    start(bed, logind={'SleepMaxSec': 3600}, config=FAST_CONFIG)
    signals = Signals(bed)
    _client, request = schedule_as_nobody(bed, duration=600 * USEC)
    logind = bed.mocks['logind'].control
    wait_for(lambda: [s for s in logind.GetSleeps() if s[2] == 0], 'the host to be asleep')
    r = bed.run(['systemctl', '--user', 'stop', '--no-block', 'hostpm-suspend.service'])
    check_equal(r.returncode, 0, f'systemctl stop: {r.stderr}')
    wait_for(lambda: [e for e in bed.journal.find(_SYSTEMD_UNIT='hostpm-suspend.service')
                      if 'Received SIGTERM' in e.get('MESSAGE', '')], 'the helper to log the SIGTERM')
    root_call(bed, 'Ping', interface='org.freedesktop.DBus.Peer')  # hostpmd has seen the job go
    dispatch()
    finished = [a for m, a in signals.seen if m == 'SuspendFinished']
    logind.WakeUp()
    check_equal(finished, [], 'SuspendFinished while the host still sleeps')


def suspend_refused_by_logind(bed):
    '''logind says no to the sleep itself: the alarm that was set for it is
    cleared, and the outcome is "failed" with logind's words.'''
    watch = start(bed, config=FAST_CONFIG,
                  logind={'SuspendError': 'org.freedesktop.DBus.Error.AccessDenied',
                          'SuspendErrorMessage': 'Refused by the test bed'})
    signals = Signals(bed)
    pid, r = run_cli(bed, ['--no-ask-password', '--wait', '60s'])
    check_equal(r.returncode, EXIT_SLEEP_FAILED, f'exit status (stderr {r.stderr!r})')
    check_says(r.stdout, ['failed', 'logind refused SuspendWithFlags',
                           'org.freedesktop.DBus.Error.AccessDenied', 'Refused by the test bed'], 'stdout')
    request = re.search(r'Scheduled request (\w+)', r.stdout).group(1)
    started = decision(bed, 'STARTED', NOBODY, pid, HOSTPM_REQUEST_ID=request)
    check(int(started['HOSTPM_ALARM']) > 0, f'no alarm was set before logind was asked: {started}')
    check_equal(sleep_calls(bed), ['SuspendWithFlags'], 'logind asked to sleep')
    check_equal(watch.alarm_state()[3].strip(), '0', 'the alarm after the refusal')
    entry = decision(bed, 'FAILED', NOBODY, pid, HOSTPM_REQUEST_ID=request)
    check_says(entry['HOSTPM_ERROR'], ['Refused by the test bed'], 'the failure in the journal')
    check_equal(signals.finished(request)[1], 'failed', 'SuspendFinished')
    props = hostpm_properties(bed)
    check_equal((props['LastId'], props['LastResult']), (request, 'failed'), 'the outcome record')
    _pid, r = run_cli(bed, ['--status'])
    check_says(r.stdout, [f'request {request} to mem: failed', 'Refused by the test bed'], '--status')
    wait_nothing_left(bed, 'after the refusal')


CASES = {
    'rtc-unwritable': rtc_unwritable,
    'rtc-reads-back-other-alarm': rtc_readback('rtc-reads-back-other-alarm', lambda a: f'{a + 60}\n',
                                               ['RTC rtc0 did not keep the alarm']),
    'rtc-reads-back-nothing': rtc_reads_back_nothing,
    'rtc-reads-back-garbage': rtc_readback('rtc-reads-back-garbage', lambda a: f'{a}garbage\n',
                                           ['RTC rtc0 did not keep the alarm']),
    'logind-vanishes-mid-query': logind_vanishes_mid_query,
    'systemd-refuses-unit': systemd_refuses_unit,
    'systemd-unit-masked': systemd_unit_masked,
    'helper-missing': helper_missing,
    'helper-missing-after-earlier-outcome': helper_missing_after_earlier_outcome,
    'hostpmd-sigkill-during-request': hostpmd_sigkill_during_request,
    'helper-sigterm-after-alarm': helper_sigterm_after_alarm,
    'helper-sigterm-after-commit': helper_sigterm_after_commit,
    'suspend-refused-by-logind': suspend_refused_by_logind,
    'unit-stopped-while-asleep': unit_stopped_while_asleep,
    'logind-refusal-in-json': refusal_in_json,
}

if __name__ == '__main__':
    testbed.main(CASES)
