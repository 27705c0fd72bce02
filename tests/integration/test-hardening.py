#!/usr/bin/python3
'''The sandboxing of hostpm's two services, as systemd-analyze security
rates it, so a regression fails the suite:

  * hostpmd.service, the shipped unit as meson configured it (offline);
  * hostpm-suspend.service, the transient service hostpmd creates, read from
    the running manager while a suspend is pending.

The bed's user manager cannot apply ProtectHome= (226/NAMESPACE), so the
bed asks hostpmd to leave it out (HOSTPM_TRANSIENT_OMIT); the transient
service's figure here is therefore a little worse than in production, and
the bound below holds for it.
'''

import os
import re
import subprocess

import testbed
from testbed import check

# issue: exposure at most 2.0 ("OK"); measured 0.9 for hostpmd.service
HOSTPMD_MAX_EXPOSURE = 2.0
TRANSIENT_MAX_EXPOSURE = 2.0


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
    check(level <= HOSTPMD_MAX_EXPOSURE,
          f'hostpm-netinfo@.service exposure {level} is above {HOSTPMD_MAX_EXPOSURE}:\n{result.stdout}')


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
    finally:
        bed.run([bed.cli, '--cancel'])


if __name__ == '__main__':
    testbed.main({'hostpmd-unit': hostpmd_unit, 'netinfo-unit': netinfo_unit,
                  'transient-service': transient_service})
