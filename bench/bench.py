#!/usr/bin/python3
'''hostpm's benchmarks, in the integration test bed (tests/integration):
each figure of hostpm is measured in the same run, on the same bed, as the
alternative a user would otherwise pick, and reported as a ratio. Medians
of many runs, interleaved, so a noisy neighbour hits both sides alike.

Run through bench/run, which builds and passes the paths of the programs.
'''

import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), 'tests', 'integration'))

import dbus  # noqa: E402
import testbed  # noqa: E402

RUNS = int(os.environ.get('HOSTPM_BENCH_RUNS', '30'))
LOAD_SECONDS = int(os.environ.get('HOSTPM_BENCH_LOAD_SECONDS', '3'))
LOGIND = ('org.freedesktop.login1', '/org/freedesktop/login1', 'org.freedesktop.login1.Manager')


def timed(bed, argv):
    start = time.perf_counter()
    result = subprocess.run(argv, env=bed.env, capture_output=True, check=False)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise testbed.BedError(f'{argv} failed: {result.stderr.decode()}')
    return elapsed


def interleaved(bed, named_commands, runs=RUNS, between=None):
    '''Medians (seconds) of each command, run in turn so drift hits all.'''
    samples = {name: [] for name, _ in named_commands}
    for i in range(runs):
        for name, make_argv in named_commands:
            samples[name].append(timed(bed, make_argv(i)))
            if between:
                between(name, i)
    return {name: statistics.median(s) for name, s in samples.items()}


def hostpmd_pid(bed):
    driver = bed.bus.get_object('org.freedesktop.DBus', '/org/freedesktop/DBus')
    return int(driver.GetConnectionUnixProcessID('org.hostpm1', dbus_interface='org.freedesktop.DBus'))


def memory_kib(pid):
    '''RSS, PSS, private dirty (memory only hostpmd holds: heap, stacks,
    relocated data) and USS (that plus file pages no other process maps
    right now, which the page cache can drop and which depend on what else
    runs), from smaps_rollup.'''
    fields = {}
    with open(f'/proc/{pid}/smaps_rollup', encoding='ascii') as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 2 and parts[0].endswith(':') and parts[1].isdigit():
                fields[parts[0][:-1]] = int(parts[1])
    return fields['Rss'], fields['Pss'], fields['Private_Dirty'], fields['Private_Clean'] + fields['Private_Dirty']


def row(name, value, unit, baseline=None, base_name=''):
    ratio = f'{value / baseline:5.2f}x {base_name}' if baseline else ''
    print(f'  {name:<44} {value:10.2f} {unit:<6} {ratio}')


def bench(bed):
    bed.start(logind={'CanSuspend': 'yes', 'CanHibernate': 'challenge', 'CanHybridSleep': 'no',
                      'CanSuspendThenHibernate': 'na'},
              polkit=(), hostpmd=True)
    cli = bed.cli
    busctl_can = ['busctl', 'call', *LOGIND, 'CanSuspend']
    print(f'hostpm benchmarks: {RUNS} runs each, medians; {os.cpu_count()} CPUs; '
          f'load average {os.getloadavg()[0]:.2f}')

    # Warm up: activation, page cache.
    timed(bed, [cli, '--capabilities', '--xml'])

    print('\ncapabilities (one command each, ms)')
    m = interleaved(bed, [
        ('busctl CanSuspend (one round trip)', lambda i: busctl_can),
        ('hostpm-suspend --capabilities --xml', lambda i: [cli, '--capabilities', '--xml']),
        ('4 sequential busctl Can*', lambda i: ['sh', '-c', '; '.join(
            ' '.join(['busctl', 'call', *LOGIND, can]) + ' >/dev/null'
            for can in ('CanSuspend', 'CanHibernate', 'CanHybridSleep', 'CanSuspendThenHibernate'))]),
    ])
    floor = m['busctl CanSuspend (one round trip)']
    for name, v in m.items():
        row(name, v * 1000, 'ms', floor * 1000, 'of one busctl')

    print('\nscheduling a timer/service pair (ms)')

    def undo(name, i):
        if name.startswith('hostpm'):
            bed.run([cli, '--cancel'])
        else:
            bed.run(['systemctl', '--user', 'stop', f'bench-{i}.timer'])

    m = interleaved(bed, [
        ('systemd-run --on-active', lambda i: [
            'systemd-run', '--user', '--quiet', f'--unit=bench-{i}', '--on-active=30min',
            '--timer-property=AccuracySec=100ms', '--property=Type=oneshot', '/bin/true']),
        ('hostpm-suspend (hostpmd, polkit, systemd)', lambda i: [
            cli, '--no-ask-password', '--delay=30min', '2min']),
    ], between=undo)
    base = m['systemd-run --on-active']
    for name, v in m.items():
        row(name, v * 1000, 'ms', base * 1000, 'of systemd-run')

    print('\nhostpmd')
    pid = hostpmd_pid(bed)
    rss, pss, dirty, uss = memory_kib(pid)
    if os.environ.get('HOSTPM_BENCH_SMAPS'):
        with open(f'/proc/{pid}/smaps', encoding='ascii') as f, open(os.environ['HOSTPM_BENCH_SMAPS'], 'w') as out:
            out.write(f.read())
    row('idle: RSS', rss, 'KiB')
    row('idle: PSS', pss, 'KiB')
    row('idle: private dirty', dirty, 'KiB')
    row('idle: USS (private dirty + clean)', uss, 'KiB')

    load = os.environ['HOSTPM_BENCH_LOAD']
    loader = subprocess.Popen([load, '100', str(LOAD_SECONDS)], env=bed.env, stdout=subprocess.PIPE)
    time.sleep(LOAD_SECONDS / 2)
    rss, pss, dirty, uss = memory_kib(pid)
    loader.communicate()
    row('100 clients: RSS', rss, 'KiB')
    row('100 clients: PSS', pss, 'KiB')
    row('100 clients: private dirty', dirty, 'KiB')
    row('100 clients: USS (private dirty + clean)', uss, 'KiB')

    for clients in (1, 10, 100):
        out = subprocess.run([load, str(clients), str(LOAD_SECONDS)], env=bed.env, capture_output=True,
                             text=True, check=True).stdout.split()
        row(f'GetCapabilities, {clients} concurrent clients', float(out[2]), 'call/s')

    # Activation: a call to a stopped hostpmd, against the same call to a
    # running one.
    def call():  # by the well-known name every time, so activation is what it waits for
        bed.bus.call_blocking('org.hostpm1', '/org/hostpm1', 'org.hostpm1.Manager', 'GetCapabilities', '', ())

    cold, warm = [], []
    for _ in range(max(5, RUNS // 3)):
        bed.run(['systemctl', '--user', 'stop', 'hostpmd.service'])
        start = time.perf_counter()
        call()
        cold.append(time.perf_counter() - start)
        start = time.perf_counter()
        call()
        warm.append(time.perf_counter() - start)
    row('GetCapabilities, running hostpmd', statistics.median(warm) * 1000, 'ms')
    row('GetCapabilities, activating hostpmd', statistics.median(cold) * 1000, 'ms',
        statistics.median(warm) * 1000, 'of running')


if __name__ == '__main__':
    testbed.main({'all': bench})
