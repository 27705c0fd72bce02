#!/usr/bin/python3
'''The sandboxing of hostpm's two services, as systemd-analyze security
rates it, so a regression fails the suite:

  * hostpmd.service, the shipped unit as meson configured it (offline);
  * hostpm-suspend.service, the transient service hostpmd creates, read from
    the running manager while a suspend is pending.

Each also carries what systemd's own daemons use (ProtectProc=invisible,
ProcSubset=pid, PrivateIPC=yes, @resources denied, denied calls failing with
EPERM); RemoveIPC= does nothing for a service run as root and is not used.
hostpmd alone has all of /proc (not ProcSubset=pid): it reads /proc/swaps
and /proc/meminfo to tell whether a hibernation image fits.

The bed's user manager cannot apply ProtectHome= (226/NAMESPACE), so the
bed asks hostpmd to leave it out (HOSTPM_TRANSIENT_OMIT), and a user
manager's services inherit its kernel keyring: the transient service's
figure here is therefore worse than in production (the VM suite's
hostpm-hardening scenario prints that one), and the bound below holds for
it. The bounds are the figures measured with systemd 252.
'''

import os
import re
import subprocess

import testbed
from testbed import check

# issue 9: at most 0.9 and 1.7 (measured before the sandboxes were tightened)
HOSTPMD_MAX_EXPOSURE = 0.9
TRANSIENT_MAX_EXPOSURE = 1.2
# hostpm-netinfo holds CAP_NET_ADMIN (reading an interface's Wake-on-LAN
# needs it) so that hostpmd does not: measured 1.1
NETINFO_MAX_EXPOSURE = 1.1

# what both services must carry, as `systemctl show` prints it
SYSTEMD_DAEMON_SANDBOX = {'ProtectProc': 'invisible', 'ProcSubset': 'pid', 'PrivateIPC': 'yes',
                          'SystemCallErrorNumber': '1'}  # EPERM
RESOURCES_SAMPLE = ('setrlimit', 'setpriority', 'sched_setaffinity', 'ioprio_set')  # of @resources


def exposure(output, unit):
    m = re.search(r'Overall exposure level for ' + re.escape(unit) + r': (\d+\.\d+)', output)
    check(m is not None, f'no exposure figure for {unit} in:\n{output}')
    return float(m.group(1))


@testbed.outside_bed
def hostpmd_unit():
    unit = os.environ.get('HOSTPMD_UNIT')
    check(unit and os.path.exists(unit), 'HOSTPMD_UNIT must name the configured hostpmd.service')
    result = subprocess.run(['systemd-analyze', 'security', '--offline=true', '--no-pager', unit],
                            capture_output=True, text=True, check=False)
    level = exposure(result.stdout, 'hostpmd.service')
    print(f'hostpmd.service: exposure {level}')
    check(level <= HOSTPMD_MAX_EXPOSURE,
          f'hostpmd.service exposure {level} is above {HOSTPMD_MAX_EXPOSURE}:\n{result.stdout}')
    with open(unit, encoding='utf-8') as f:
        settings = [line.strip() for line in f if re.match(r'^\w+=', line)]
    check('PrivateIPC=yes' in settings, f'hostpmd.service has PrivateIPC=yes: {settings}')
    check(not [s for s in settings if s.startswith('RemoveIPC=')],
          'hostpmd.service has no RemoveIPC= (a no-op for a service run as root)')
    check('ProtectProc=invisible' in settings and not [s for s in settings if s.startswith('ProcSubset=')]
          and 'SystemCallErrorNumber=EPERM' in settings, f'hostpmd.service keeps systemd\'s daemon sandbox: {settings}')


def shown(bed, unit, names):
    r = bed.run(['systemctl', '--user', 'show', unit, '-p', ','.join(names)])
    check(r.returncode == 0, f'systemctl show {unit}: {r.stderr}')
    return dict(line.split('=', 1) for line in r.stdout.splitlines() if '=' in line)


@testbed.outside_bed
def netinfo_unit():
    '''hostpm-netinfo@.service, which holds CAP_NET_ADMIN so that hostpmd
    does not: measured 1.1.'''
    unit = os.path.join(os.path.dirname(os.environ.get('HOSTPMD_UNIT', '')), 'hostpm-netinfo@.service')
    check(os.path.exists(unit), f'{unit} must be configured by meson')
    result = subprocess.run(['systemd-analyze', 'security', '--offline=true', '--no-pager', unit],
                            capture_output=True, text=True, check=False)
    level = exposure(result.stdout, 'hostpm-netinfo@i.service')
    print(f'hostpm-netinfo@.service: exposure {level}')
    check(level <= NETINFO_MAX_EXPOSURE,
          f'hostpm-netinfo@.service exposure {level} is above {NETINFO_MAX_EXPOSURE}:\n{result.stdout}')


def transient_service(bed):
    bed.setenv(HOSTPM_TRANSIENT_OMIT='ProtectHome')
    bed.start(logind={}, polkit=(), hostpmd=True)
    result = bed.run([bed.cli, '--delay=30min', '2min'])
    check(result.returncode == 0, f'scheduling failed: {result.stderr}')
    try:
        result = bed.run(['systemd-analyze', 'security', '--user', '--no-pager', 'hostpm-suspend.service'])
        level = exposure(result.stdout, 'hostpm-suspend.service')
        print(f'hostpm-suspend.service (without ProtectHome=): exposure {level}')
        check(level <= TRANSIENT_MAX_EXPOSURE,
              f'hostpm-suspend.service exposure {level} is above {TRANSIENT_MAX_EXPOSURE}:\n{result.stdout}')
        service = shown(bed, 'hostpm-suspend.service', list(SYSTEMD_DAEMON_SANDBOX) + ['SystemCallFilter'])
        missing = {k: service.get(k) for k, v in SYSTEMD_DAEMON_SANDBOX.items() if service.get(k) != v}
        check(not missing, f'the transient service lacks {SYSTEMD_DAEMON_SANDBOX} (has {missing})')
        allowed = service['SystemCallFilter'].split()
        check(allowed and not set(allowed) & set(RESOURCES_SAMPLE),
              f'the transient service denies @resources (allowed of {RESOURCES_SAMPLE}: '
              f'{sorted(set(allowed) & set(RESOURCES_SAMPLE))})')
    finally:
        bed.run([bed.cli, '--cancel'])


if __name__ == '__main__':
    testbed.main({'hostpmd-unit': hostpmd_unit, 'netinfo-unit': netinfo_unit,
                  'transient-service': transient_service})
