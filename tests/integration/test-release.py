#!/usr/bin/python3
'''A release build (-Dtest-seams=false) ignores every test seam.

The test seams (src/shared/test-seam.h) let a test build run against a fake
RTC, configuration and state directory, the build tree's helper, a trimmed
sandbox and short timeouts. In an installed build one stray variable in the
service manager's environment would make the helper arm an alarm in a fake
directory and then suspend a real host with none, or strip its sandbox. So
meson registers these cases only in a release build, and each gives the
seam a decoy and checks that the release programs look where production
looks instead:

  sysfs-root-helper   hostpm-sleep, given HOSTPM_SYSFS_ROOT=<decoy RTC>,
                      arms, verifies and clears the alarm of /sys's RTC and
                      leaves every file of the decoy as it was
  sysfs-root-hostpmd  hostpmd reports /sys's RTC, not the decoy's
  config-dir          hostpmd reads SYSCONFDIR/hostpm, not HOSTPM_CONFIG_DIR
  state-dir           without STATE_DIRECTORY, hostpmd reads the outcome in
                      /var/lib/hostpm, not HOSTPM_STATE_DIR
  sleep-path          the transient service runs LIBEXECDIR/hostpm-sleep,
                      not HOSTPM_SLEEP_PATH (and binds nothing in for it)
  transient-omit      the transient service keeps its whole sandbox whatever
                      HOSTPM_TRANSIENT_OMIT names
  idle-timeout        a 1 us HOSTPM_IDLE_TIMEOUT_USEC: the same hostpmd
                      serves two calls in a row
  logind-timeout      a 1 us HOSTPM_LOGIND_TIMEOUT_USEC: logind's answers
                      still count
  polkit-timeout      a 1 us HOSTPM_POLKIT_TIMEOUT_USEC: polkit's grant still
                      counts
  no-seam-names       no seam's name is in the release binaries, and no
                      program under src/ reads the environment except through
                      test-seam.c or for the variables that are no seams

"Where production looks" is made safe and known inside the bed's private
mount namespace: /sys/class/rtc is the bed's fake RTC (a bind mount),
SYSCONFDIR/hostpm and /var/lib/hostpm are empty if this machine has them.
The mounts are private to the bed (isolation.py): the host sees none of
them, and its RTC is never written.

Against programs that honour the seams (those from before test-seam.c)
every case fails, each on its own check.
'''

import json
import os
import re
import subprocess

import testbed
from testbed import check, check_equal

try:
    import dbus
except ImportError:
    dbus = None

HOSTPM = 'org.hostpm1'
HOSTPM_PATH = '/org/hostpm1'
HOSTPM_IFACE = 'org.hostpm1.Manager'
ACTION_SUSPEND = 'org.hostpm1.suspend'
NOBODY = 65534
DECOY_RTC_NAME = 'hostpm_decoy'

# The helper's sandbox as `systemctl show` prints it once applied; all of
# it is named in HOSTPM_TRANSIENT_OMIT for the transient-omit case.
SANDBOX = {
    'NoNewPrivileges': 'yes', 'ProtectSystem': 'strict', 'ProtectHome': 'yes', 'PrivateTmp': 'yes',
    'PrivateDevices': 'yes', 'PrivateNetwork': 'yes', 'ProtectKernelTunables': 'yes',
    'ProtectKernelModules': 'yes', 'ProtectKernelLogs': 'yes', 'ProtectControlGroups': 'yes',
    'ProtectClock': 'yes', 'ProtectHostname': 'yes', 'RestrictNamespaces': 'yes', 'RestrictRealtime': 'yes',
    'RestrictSUIDSGID': 'yes', 'LockPersonality': 'yes', 'MemoryDenyWriteExecute': 'yes',
    'CapabilityBoundingSet': '', 'RestrictAddressFamilies': 'AF_UNIX', 'SystemCallArchitectures': 'native',
    'UMask': '0077', 'ProtectProc': 'invisible', 'ProcSubset': 'pid', 'PrivateIPC': 'yes',
    'SystemCallErrorNumber': '1',
}
OMITTABLE = list(SANDBOX) + ['ReadWritePaths', 'SystemCallFilter']


#
# Where a release build looks, made the bed's own
#

def _mount(*args):
    r = subprocess.run(['mount', *args], capture_output=True, text=True, check=False)
    check(r.returncode == 0, f'mount {" ".join(args)} failed: {r.stderr.strip()}')


def _empty_if_present(path):
    '''Hides what this machine has at path (an empty tmpfs over it).'''
    if os.path.isdir(path):
        _mount('-t', 'tmpfs', '-o', 'mode=0755', 'hostpm-release-test', path)


def production_paths(bed):
    '''/sys/class/rtc becomes the bed's fake RTC; the configuration and
    state directories of a release build become empty. Call after the
    bed's RTC is made and before anything starts.'''
    bed.make_rtc()
    # bind the fake's class/rtc, or its whole class/ when this machine has no RTC class
    if os.path.isdir('/sys/class/rtc'):
        _mount('--bind', os.path.join(bed.sysfs_root, 'class', 'rtc'), '/sys/class/rtc')
    else:
        _mount('--bind', os.path.join(bed.sysfs_root, 'class'), '/sys/class')
    # the safety of every case rests on this: what production writes is the bed's file
    check(os.path.samefile('/sys/class/rtc/rtc0/wakealarm', bed.wakealarm_path),
          '/sys/class/rtc/rtc0/wakealarm is not the bed\'s fake RTC after the bind mount')
    # and the kernel's record of sleeps is the one the bed's logind keeps:
    # the release helper counts a resume only with that evidence
    check(os.path.isdir('/sys/power'), 'this machine has no /sys/power to put the bed\'s suspend_stats on')
    _mount('--bind', os.path.join(bed.sysfs_root, 'power'), '/sys/power')
    check(os.path.samefile('/sys/power/suspend_stats/success', os.path.join(bed.sysfs_root, 'power', 'suspend_stats',
                                                                            'success')),
          '/sys/power/suspend_stats is not the bed\'s after the bind mount')
    _empty_if_present(os.path.join(os.environ['HOSTPM_SYSCONFDIR'], 'hostpm'))
    _empty_if_present('/var/lib/hostpm')


def decoy_sysfs(bed):
    '''A complete second RTC tree, named so that it shows, as the seam's value.'''
    root = os.path.join(bed.root, 'decoy-sysfs')
    rtc = os.path.join(root, 'class', 'rtc', 'rtc0')
    os.makedirs(os.path.join(rtc, 'device', 'power'))
    for relative, content in {'name': f'{DECOY_RTC_NAME}\n', 'since_epoch': '1700000000\n', 'wakealarm': '',
                              'device/power/wakeup': 'enabled\n'}.items():
        with open(os.path.join(rtc, relative), 'w', encoding='ascii') as f:
            f.write(content)
    bed.setenv(HOSTPM_SYSFS_ROOT=root)
    return root


def snapshot(root):
    '''{path: (content, mtime_ns)} of every file under root.'''
    files = {}
    for directory, _dirs, names in os.walk(root):
        for name in names:
            path = os.path.join(directory, name)
            with open(path, 'rb') as f:
                files[path] = (f.read(), os.stat(path).st_mtime_ns)
    return files


#
# Asking the release programs
#

def properties(bed):
    obj = bed.bus.get_object(HOSTPM, HOSTPM_PATH, introspect=False)
    values = dbus.Interface(obj, 'org.freedesktop.DBus.Properties').GetAll(HOSTPM_IFACE)
    return {str(k): ([str(x) for x in v] if isinstance(v, dbus.Array) else
                     str(v) if isinstance(v, dbus.String) else int(v)) for k, v in values.items()}


def capabilities(bed):
    r = bed.run([bed.cli, '--capabilities', '--json'])
    check_equal(r.returncode, 0, f'exit status of --capabilities (stderr {r.stderr!r})')
    return json.loads(r.stdout)


def unit_properties(bed, unit, *names):
    r = bed.run(['systemctl', '--user', 'show', unit, '-p', ','.join(names)])
    check_equal(r.returncode, 0, f'systemctl show {unit}')
    return dict(line.split('=', 1) for line in r.stdout.splitlines() if '=' in line)


def hostpmd_pid(bed):
    return int(unit_properties(bed, 'hostpmd.service', 'MainPID')['MainPID'])


def scheduled_service(bed):
    '''Schedules a suspend half an hour ahead (never reached) as root and
    returns the transient service's properties.'''
    r = bed.run([bed.cli, '--no-ask-password', '--delay=30min', '2min'])
    check_equal(r.returncode, 0, f'exit status of scheduling (stderr {r.stderr!r})')
    return unit_properties(bed, 'hostpm-suspend.service', 'ExecStart', 'BindReadOnlyPaths', 'ReadWritePaths',
                           'SystemCallFilter', *SANDBOX)


#
# The cases
#

def sysfs_root_helper(bed):
    production_paths(bed)
    decoy = decoy_sysfs(bed)
    before = snapshot(decoy)
    bed.start(logind={})
    bed.start_rtc_clock()
    state = os.path.join(bed.root, 'helper-state')
    os.makedirs(state)

    r = bed.run([bed.artifact('HOSTPM_SLEEP'), '--id=release-helper', '--target=mem', '--seconds=2',
                 '--rtc-device=rtc0', '--requester-uid=0', '--requester-pid=1'],
                env={'STATE_DIRECTORY': state})
    calls = [(str(m), int(a)) for m, _f, a, _r, _t, _e in bed.mocks['logind'].control.GetSleepCalls()]
    check(snapshot(decoy) == before, 'hostpm-sleep touched the decoy RTC of HOSTPM_SYSFS_ROOT: '
          f'{ {p: v[0] for p, v in snapshot(decoy).items()} }')
    check_equal(r.returncode, 0, f'exit status of hostpm-sleep (stderr {r.stderr!r})')
    check(len(calls) == 1 and calls[0][1] > 0,
          f'logind was asked to sleep once with /sys\'s RTC armed (calls, with the alarm: {calls})')
    with open(os.path.join(state, 'last-outcome.json'), encoding='utf-8') as f:
        outcome = json.load(f)
    check_equal((outcome['id'], outcome['result'], outcome['alarm']), ('release-helper', 'resumed', calls[0][1]),
                'the outcome')
    with open(bed.wakealarm_path, encoding='ascii') as f:
        alarm = f.read().strip()
    check(alarm in ('', '0'), f'/sys\'s wakealarm is cleared after the resume (it holds {alarm!r})')


def sysfs_root_hostpmd(bed):
    production_paths(bed)
    decoy_sysfs(bed)
    bed.start(logind={}, hostpmd=True)
    alarm = capabilities(bed)['wake_alarm']
    check_equal((alarm['present'], alarm['driver']), (True, 'rtc_cmos'),
                f'the RTC hostpmd reports: /sys\'s, not the decoy {DECOY_RTC_NAME} ({alarm})')


def config_dir(bed):
    production_paths(bed)
    with open(os.path.join(bed.hostpm_config_dir, 'hostpm.conf'), 'w', encoding='utf-8') as f:
        f.write('[Suspend]\nMinimumDuration=7min\nAllowedTargets=disk\n')
    bed.start(logind={}, hostpmd=True)
    p = properties(bed)
    check(p['MinimumDurationUSec'] != 7 * 60 * 1000000 and 'mem' in p['AllowedTargets'],
          f'hostpmd read the configuration of HOSTPM_CONFIG_DIR instead of its own: {p}')


def state_dir(bed):
    production_paths(bed)
    bed.install_hostpmd()
    # as hostpmd.service ships: no StateDirectory=, so no STATE_DIRECTORY
    dropin = os.path.join(bed.unit_dir, 'hostpmd.service.d', 'testbed.conf')
    with open(dropin, encoding='utf-8') as f:
        text = f.read()
    with open(dropin, 'w', encoding='utf-8') as f:
        f.write(text.replace('StateDirectory=hostpm\n', ''))
    decoy = {'id': 'decoy-outcome', 'target': 'mem', 'result': 'resumed', 'error': '', 'asked_usec': 60000000,
             'slept_usec': 60000000, 'woken_by_alarm': True, 'alarm': 1700000060,
             'started_realtime_usec': 1700000000000000, 'resumed_realtime_usec': 1700000060000000,
             'requester_uid': 0, 'requester_pid': 1}
    with open(os.path.join(bed.env['HOSTPM_STATE_DIR'], 'last-outcome.json'), 'w', encoding='utf-8') as f:
        json.dump(decoy, f)
    bed.start(logind={})
    p = properties(bed)
    check_equal(p['LastId'], '', f'the last outcome hostpmd reports (the decoy of HOSTPM_STATE_DIR is '
                f'{decoy["id"]!r}; /var/lib/hostpm has none): {p}')


def sleep_path(bed):
    production_paths(bed)
    bed.start(logind={}, hostpmd=True)  # install_hostpmd() sets HOSTPM_SLEEP_PATH to the build's helper
    check(bed.env.get('HOSTPM_SLEEP_PATH'), 'the bed set HOSTPM_SLEEP_PATH')
    try:
        service = scheduled_service(bed)
    finally:
        bed.run([bed.cli, '--cancel'])
    helper = os.path.join(os.environ['HOSTPM_LIBEXECDIR'], 'hostpm-sleep')
    m = re.search(r'path=(\S+)', service['ExecStart'])
    check(m and m.group(1) == helper, f'the transient service runs {helper}, not HOSTPM_SLEEP_PATH '
          f'({bed.env["HOSTPM_SLEEP_PATH"]}): ExecStart={service["ExecStart"]}')
    check_equal(service['BindReadOnlyPaths'], '', 'BindReadOnlyPaths= of the transient service')


def transient_omit(bed):
    production_paths(bed)
    bed.setenv(HOSTPM_TRANSIENT_OMIT=','.join(OMITTABLE))
    bed.start(logind={}, hostpmd=True)
    try:
        service = scheduled_service(bed)
    finally:
        bed.run([bed.cli, '--cancel'])
    lost = {k: service.get(k) for k, v in SANDBOX.items() if service.get(k) != v}
    check(not lost, f'the transient service lost what HOSTPM_TRANSIENT_OMIT names: {lost}')
    check_equal(service['ReadWritePaths'], os.path.realpath('/sys/class/rtc/rtc0/wakealarm'),
                'ReadWritePaths= of the transient service')
    allowed = service['SystemCallFilter'].split()
    check(allowed and 'setuid' not in allowed,
          f'the system call filter still denies @privileged: {service["SystemCallFilter"][:200]!r}')


def idle_timeout(bed):
    production_paths(bed)
    bed.setenv(HOSTPM_IDLE_TIMEOUT_USEC='1')
    bed.start(logind={}, hostpmd=True)
    capabilities(bed)
    first = hostpmd_pid(bed)
    capabilities(bed)
    check(first > 0 and hostpmd_pid(bed) == first,
          f'one hostpmd served both calls (main PID {first}, then {hostpmd_pid(bed)})')


def logind_timeout(bed):
    production_paths(bed)
    bed.setenv(HOSTPM_LOGIND_TIMEOUT_USEC='1')
    bed.start(logind={}, hostpmd=True)
    caps = capabilities(bed)
    check_equal(caps['sleep_targets']['status'], 'ok', f'logind\'s answers ({caps["sleep_targets"]})')


def polkit_timeout(bed):
    production_paths(bed)
    bed.setenv(HOSTPM_POLKIT_TIMEOUT_USEC='1')
    bed.start(logind={}, polkit=[ACTION_SUSPEND], hostpmd=True)
    r = bed.run_as(NOBODY, [bed.cli, '--no-ask-password', '--dry-run', '2min'])
    check_equal(r.returncode, 0, f'exit status of a dry run that polkit allows (stderr {r.stderr!r})')


@testbed.outside_bed
def no_seam_names():
    source = os.environ.get('HOSTPM_SOURCE_ROOT')
    check(source, 'HOSTPM_SOURCE_ROOT is not set: run this through meson test')
    with open(os.path.join(source, 'src', 'shared', 'test-seam.h'), encoding='utf-8') as f:
        members = re.findall(r'^\s+(TEST_SEAM_[A-Z_]+)\s*,', f.read(), re.M)
    with open(os.path.join(source, 'src', 'shared', 'test-seam.c'), encoding='utf-8') as f:
        names = sorted(set(re.findall(r'"(HOSTPM_[A-Z0-9_]+)"', f.read())))
    check(names and len(names) == len(members),
          f'test-seam.c names {len(names)} seams ({names}), test-seam.h lists {len(members)}')

    problems = []
    for variable in ('HOSTPMD', 'HOSTPM_SLEEP', 'HOSTPM_SUSPEND'):
        path = os.environ.get(variable)
        check(path and os.path.exists(path), f'{variable} must name the built program')
        with open(path, 'rb') as f:
            data = f.read()
        # HOSTPM_LOG_LEVEL is no seam and is read by all three: the scan sees strings
        check(b'HOSTPM_LOG_LEVEL' in data, f'{path} has no HOSTPM_LOG_LEVEL: is it hostpm\'s?')
        found = [n for n in names if n.encode() in data]
        print(f'{path}: {len(data)} bytes, {"seams: " + ", ".join(found) if found else "no seam names"}')
        problems += [f'{path} contains {n}' for n in found]

    # Every read of the environment in src/ goes through test-seam.c, or
    # reads a variable that is no seam (test-seam.h says why).
    # PATH: hostpm-slurm's default when slurmctld gives it none
    not_seams = {'HOSTPM_LOG_LEVEL', 'JOURNAL_STREAM', 'STATE_DIRECTORY', 'PATH'}
    for directory, _dirs, files in os.walk(os.path.join(source, 'src')):
        for name in sorted(files):
            if not name.endswith(('.c', '.h')) or name.startswith('test-seam.'):
                continue
            path = os.path.join(directory, name)
            with open(path, encoding='utf-8') as f:
                text = f.read()
            for m in re.finditer(r'\b(?:secure_)?getenv\s*\(\s*("([^"]*)")?|\benviron\b', text):
                if m.group(2) not in not_seams:
                    line = text.count('\n', 0, m.start()) + 1
                    problems.append(f'{os.path.relpath(path, source)}:{line} reads the environment '
                                    f'({m.group(0)}) outside test-seam.c')
    check(not problems, 'seams outside a test build:\n  ' + '\n  '.join(problems))
    print(f'no release program carries any of {len(names)} seams; src/ reads the environment only '
          f'through test-seam.c and for {", ".join(sorted(not_seams))}')


if __name__ == '__main__':
    testbed.main({
        'sysfs-root-helper': sysfs_root_helper,
        'sysfs-root-hostpmd': sysfs_root_hostpmd,
        'config-dir': config_dir,
        'state-dir': state_dir,
        'sleep-path': sleep_path,
        'transient-omit': transient_omit,
        'idle-timeout': idle_timeout,
        'logind-timeout': logind_timeout,
        'polkit-timeout': polkit_timeout,
        'no-seam-names': no_seam_names,
    })
