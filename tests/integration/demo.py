#!/usr/bin/python3
'''The README's demo: one whole cycle of hostpm in the test bed, shown step
by step with the real commands and their real output.

    tools/demo                       # installs, builds, runs this

or, with a build, as root:

    env HOSTPM_BUILD=build /usr/bin/python3 tests/integration/demo.py

The bed (testbed.py) is a private mount, PID and cgroup namespace with a
real systemd --user manager running the bus, hostpmd D-Bus activated from
the project's unit, a simulated logind whose "sleep" lasts until the fake
RTC's alarm fires, and a fake RTC. Nothing on this machine is suspended.

Exit status: 0 when everything went as it should; 1 otherwise (the bed then
prints every log it has); 77 when this machine cannot run the bed.
'''

import os
import re
import select
import subprocess
import sys
import textwrap
import time

import journalevents
import testbed

HERE = os.path.dirname(os.path.abspath(__file__))
DURATION = 15           # seconds asleep
MINIMUM_DURATION = 10   # the bed's MinimumDuration= (default 60 s)
LOGIND = {'CanSuspend': 'yes', 'CanHibernate': 'challenge', 'CanHybridSleep': 'no',
          'CanSuspendThenHibernate': 'na'}
# the steps of a request that the demo shows, by MESSAGE_ID
MESSAGE_IDS = {journalevents.message_id(kind): kind for kind in ('scheduled', 'started', 'resumed')}


class Unexpected(AssertionError):
    '''Something did not go as the demo says it should.'''


def expect(condition, what):
    if not condition:
        raise Unexpected(what)


def step(title):
    print(f'\n\033[1m== {title}\033[0m' if sys.stdout.isatty() else f'\n== {title}', flush=True)


def say(text):
    print(textwrap.fill(' '.join(text.split()), width=78), flush=True)


def note(text):
    '''Something happening in the sandbox, as it happens.'''
    print(f'   [sandbox {time.strftime("%H:%M:%S")}] {text}', flush=True)


def command(bed, shown, *args, status=0):
    '''Runs hostpm-suspend ARGS, printing it as `shown` and its output.'''
    print(f'$ {shown}', flush=True)
    r = bed.run([bed.cli, *args])
    sys.stdout.write(r.stdout + r.stderr)
    expect(r.returncode == status, f'{shown} exited with {r.returncode}, expected {status}')
    return r.stdout


def demo(bed):
    step('The sandbox')
    say(f'''A private mount, PID and cgroup namespace with a real systemd --user
        manager running the D-Bus bus, hostpmd D-Bus activated from the
        project's own unit (all its hardening on), a simulated logind and a
        fake RTC. Nothing on this machine sleeps. hostpm.conf here sets
        MinimumDuration={MINIMUM_DURATION}s (the default is 60s, as libvirt's
        minimum), so a {DURATION}-second sleep is allowed and the demo takes
        less than a minute. Commands run as root: polkit is not asked.''')
    with open(os.path.join(bed.hostpm_config_dir, 'hostpm.conf'), 'w', encoding='utf-8') as f:
        f.write(f'[Suspend]\nMinimumDuration={MINIMUM_DURATION}s\n')
    bed.start(logind=LOGIND, hostpmd=True)
    bed.start_rtc_clock()
    logind = bed.mocks['logind'].control
    say(f'hostpm-suspend is {bed.cli}.')

    step('1. What can this host do?')
    say('''logind here answers CanSuspend "yes", CanHibernate "challenge" (allowed
        after authentication), CanHybridSleep "no", CanSuspendThenHibernate "na".''')
    table = command(bed, 'hostpm-suspend --capabilities', '--capabilities')
    for target, supported in (('mem', 'yes'), ('disk', 'yes'), ('hybrid', 'no'),
                              ('suspend-then-hibernate', 'no')):
        expect(re.search(rf'^{target}\s+{supported}\s', table, re.M),
               f'the table says {target} is supported: {supported}')
    say('''The same as XML: libvirt's <power_management> block (what tools that read
        libvirt's capabilities understand), then hostpm's own detail.''')
    xml = command(bed, 'hostpm-suspend --capabilities --xml', '--capabilities', '--xml')
    expect('<suspend_mem/>' in xml and '<suspend_disk/>' in xml and '<suspend_hybrid/>' not in xml,
           'the XML claims mem and disk, not hybrid')

    step(f'2. Suspend for {DURATION} seconds and wait for the wake-up')
    say('''The call returns at once with the plan; hostpmd has handed the suspend
        to systemd as a transient timer/service pair. When the timer fires, the
        service runs hostpm-sleep, which sets the RTC alarm, reads it back and
        asks logind to suspend. --wait follows the request to its end.''')
    request_id = follow_suspend(bed, logind)

    step('3. The recorded outcome')
    status = command(bed, 'hostpm-suspend --status', '--status')
    expect(f'request {request_id} to mem: resumed' in status and 'woken by the RTC alarm' in status,
           'the status shows the resume, woken by the alarm')
    say('''"slept" is the time the kernel spent suspended (CLOCK_BOOTTIME minus
        CLOCK_MONOTONIC): the simulated sleep does not suspend this machine's
        kernel, so it is 0 here; on a real host it is the time asleep. The
        wall-clock times of the outcome show the 15 seconds:''')
    status_json = command(bed, 'hostpm-suspend --status --json', '--status', '--json')
    times = re.search(r'"suspend_usec": (\d+).*"resume_usec": (\d+)', status_json, re.S)
    expect(times, 'the JSON status has the suspend and resume times')
    asleep = (int(times.group(2)) - int(times.group(1))) / 1e6
    print(f'   resume_usec - suspend_usec = {asleep:.1f} s', flush=True)
    expect(asleep >= DURATION - 1, f'asleep for about {DURATION} s by the wall clock, not {asleep:.1f} s')

    step('4. The audit trail in the journal')
    say('''Each step is a structured journal entry with a fixed MESSAGE_ID, the
        request, and who asked (what `journalctl -o verbose HOSTPM_REQUEST_ID=...`
        shows; the sandbox's stand-in for journald kept them):''')
    entries = [e for e in bed.journal.find(HOSTPM_REQUEST_ID=request_id) if e.get('MESSAGE_ID') in MESSAGE_IDS]
    kinds = [MESSAGE_IDS[e['MESSAGE_ID']] for e in entries]
    expect(kinds == ['scheduled', 'started', 'resumed'], f'journal entries scheduled, started, resumed: {kinds}')
    for e in entries:
        print(f'   {e.get("SYSLOG_IDENTIFIER", "?")}[{e.get("_PID", "?")}]: {e["MESSAGE"]}')
        fields = ['MESSAGE_ID', 'HOSTPM_RESULT', 'HOSTPM_REQUESTER_UID', 'HOSTPM_REQUESTER_PID', 'HOSTPM_ALARM',
                  'HOSTPM_WOKEN_BY_ALARM']
        print('       ' + ' '.join(f'{k}={e[k]}' for k in fields if k in e), flush=True)

    step('Done')
    say(f'''Scheduled, slept {DURATION} seconds on a verified RTC alarm, woke by it,
        recorded and logged. Next: tools/run-tests runs the whole test suite;
        tests/integration/ has one test per behaviour.''')


def follow_suspend(bed, logind):
    '''Runs hostpm-suspend --wait and narrates what the sandbox does
    meanwhile. Returns the request id.'''
    shown = f'hostpm-suspend --wait {DURATION}s'
    print(f'$ {shown}', flush=True)
    process = subprocess.Popen([bed.cli, '--wait', f'{DURATION}s'], env=bed.env, stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    output = b''
    seen = set()
    deadline = time.monotonic() + 90  # a bound against hangs, not an expectation
    try:
        while True:
            # the pipe itself, unbuffered: what select() says is there is all there is
            readable, _, _ = select.select([process.stdout], [], [], 0.1)
            if readable:
                data = os.read(process.stdout.fileno(), 65536)
                if not data:
                    break
                output += data
                sys.stdout.write(data.decode(errors='replace'))
                sys.stdout.flush()
            narrate(bed, logind, seen)
            expect(time.monotonic() < deadline, f'{shown} still running after 90 s')
        status = process.wait()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    narrate(bed, logind, seen)
    text = output.decode(errors='replace')
    expect(status == 0, f'{shown} exited with {status}, expected 0')
    found = re.search(r'Scheduled request ([0-9a-f]{32})', text)
    expect(found, 'hostpm-suspend printed the plan')
    expect(re.search(rf'Resumed: .*\(asked {DURATION}s[;)].*[ ,]woken by the RTC alarm[;.]', text),
           'hostpm-suspend --wait printed the resume, woken by the RTC alarm')
    expect(seen >= {'timer', 'asleep', 'awake'}, f'the sandbox saw the whole cycle: {sorted(seen)}')
    return found.group(1)


def narrate(bed, logind, seen):
    '''Tells what happened in the sandbox since the last look, once each.'''
    if 'timer' not in seen and any(str(e.get('MESSAGE', '')).startswith('Starting hostpm-suspend.service')
                                   for e in bed.journal.find()):
        seen.add('timer')
        note('the timer fired: systemd starts hostpm-suspend.service, which runs hostpm-sleep')
    calls = logind.GetSleepCalls() if 'asleep' not in seen else []
    if calls:
        method, flags, alarm, rtc, _t, error = calls[0]
        expect(str(error) == '', f'logind refused the sleep: {error}')
        seen.add('asleep')
        note(f'hostpm-sleep set the RTC alarm to {int(alarm)} (the RTC reads {int(rtc)}), read it back, '
             f'and called logind {method}({int(flags)})')
        note('logind: PrepareForSleep(true) -- the host is "asleep" until the RTC alarm fires')
        print(f'$ hostpm-suspend --status        # from another terminal, meanwhile', flush=True)
        r = bed.run([bed.cli, '--status'])
        sys.stdout.write(r.stdout + r.stderr)
        expect(r.returncode == 0 and 'suspending to mem now' in r.stdout, 'the status while asleep')
    sleeps = logind.GetSleeps() if 'asleep' in seen and 'awake' not in seen else []
    if sleeps and float(sleeps[0][2]) > 0:
        seen.add('awake')
        verb, begin, end, by_alarm = sleeps[0]
        expect(bool(by_alarm), 'the RTC alarm woke the host')
        note(f'the RTC alarm fired after {float(end) - float(begin):.1f} s: logind emits '
             f'PrepareForSleep(false), the host is back')


if __name__ == '__main__':
    if os.environ.get('HOSTPM_TESTBED_INNER') != '1':
        build = os.environ.get('HOSTPM_BUILD', os.path.join(HERE, '..', '..', 'build-demo'))
        build = os.path.abspath(build)
        source = os.path.abspath(os.path.join(HERE, '..', '..'))
        for variable, path in (('HOSTPM_SUSPEND', 'src/suspend/hostpm-suspend'), ('HOSTPMD', 'src/hostpmd/hostpmd'),
                               ('HOSTPM_SLEEP', 'src/sleep/hostpm-sleep'),
                               ('HOSTPMD_UNIT', 'units/hostpmd.service')):
            os.environ.setdefault(variable, os.path.join(build, path))
        os.environ.setdefault('HOSTPM_DBUS_SERVICE', os.path.join(source, 'units', 'org.hostpm1.service'))
        os.environ.setdefault('HOSTPM_BUS_POLICY', os.path.join(source, 'units', 'org.hostpm1.conf'))
        os.environ.setdefault('HOSTPM_SOURCE_ROOT', source)
        os.environ.setdefault('PYTHONDONTWRITEBYTECODE', '1')
    sys.argv[1:] = ['demo']
    testbed.main({'demo': demo})
