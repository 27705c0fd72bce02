#!/usr/bin/python3
'''memcheck over a whole request: schedule -> fire -> sleep -> resume ->
status, with hostpmd (under its own unit, all hardening but W^X), the
helper (in the transient service) and the CLI each under valgrind: no
error, nothing definitely lost. Not registered in sanitizer builds.
'''

import os
import re
import shutil

import testbed
from testbed import check, check_equal

from hostpmtest import (EXIT_NOTHING_PENDING, EXIT_OK, FAST_CONFIG, install, unit_properties, write)


VALGRIND = '/usr/bin/valgrind'
MEMCHECK = [VALGRIND, '--error-exitcode=99', '--leak-check=full', '--errors-for-leak-kinds=definite',
            '--log-fd=2']


def memcheck_reports(lines):
    '''{pid: [line]} of valgrind's output among lines.'''
    reports = {}
    for line in lines:
        m = re.match(r'==(\d+)== ?(.*)', line)
        if m:
            reports.setdefault(int(m.group(1)), []).append(m.group(2))
    return reports


def check_memcheck(what, report):
    text = '\n'.join(report)
    check('ERROR SUMMARY: ' in text, f'{what}: valgrind gave no summary:\n{text}')
    check('ERROR SUMMARY: 0 errors' in text, f'{what}: memcheck found errors:\n{text}')
    lost = re.findall(r'definitely lost: ([\d,]+) bytes', text)
    check(all(n == '0' for n in lost), f'{what}: memory definitely lost:\n{text}')


def valgrind_lifecycle(bed):
    '''schedule -> fire -> sleep -> resume -> status with hostpmd, the
    helper and the CLI each under memcheck: no error, nothing definitely
    lost.'''
    if not os.access(VALGRIND, os.X_OK):
        raise testbed.Skip(f'{VALGRIND} is missing (Debian: valgrind)')
    memcheck = ' '.join(MEMCHECK)
    wrapper = os.path.join(bed.root, 'memcheck-hostpm-sleep')
    # a copy beside the wrapper: the build tree may be under /tmp, which the
    # transient service's PrivateTmp= hides (hostpmd binds only the wrapper)
    helper = os.path.join(bed.root, 'hostpm-sleep')
    shutil.copy2(bed.artifact('HOSTPM_SLEEP'), helper)
    write(wrapper, f'#!/bin/sh\nexec {memcheck} {helper} "$@"\n', 0o755)
    install(bed, config=FAST_CONFIG, env={
        'HOSTPM_SLEEP_PATH': wrapper,
        # valgrind runs the helper's code from memory it writes and then
        # executes (its JIT): the one hardening property it cannot live
        # with, left out for this test only.
        'HOSTPM_TRANSIENT_OMIT': 'MemoryDenyWriteExecute'})
    # hostpmd's own unit, with everything but W^X, under memcheck
    write(os.path.join(bed.unit_dir, 'hostpmd.service.d', 'zz-memcheck.conf'),  # after the bed's
          f'# memcheck for this test only: its JIT needs memory that is\n'
          f'# written and then executed.\n'
          f'[Service]\nExecStart=\nExecStart={memcheck} {bed.artifact("HOSTPMD")}\n'
          f'MemoryDenyWriteExecute=no\nTimeoutStartSec=90\n')
    bed.start(logind={})
    bed.start_rtc_clock()

    cli = [*MEMCHECK, bed.cli]
    r = bed.run([*cli, '--no-ask-password', '--wait', '3s'], timeout=120)
    check_equal(r.returncode, EXIT_OK, f'--wait under memcheck; stdout {r.stdout!r} stderr {r.stderr!r}')
    check('woken by the RTC alarm' in r.stdout and 'NOT' not in r.stdout, f'the outcome: {r.stdout!r}')
    reports = [r.stderr]
    for args in (['--status'], ['--status', '--json'], ['--capabilities', '--xml'], ['--cancel']):
        r = bed.run([*cli, *args], timeout=120)
        check_equal(r.returncode, EXIT_NOTHING_PENDING if args == ['--cancel'] else EXIT_OK,
                    f'{args} under memcheck; stderr {r.stderr!r}')
        reports.append(r.stderr)
    for stderr in reports:
        for pid, report in memcheck_reports(stderr.splitlines()).items():
            check_memcheck(f'hostpm-suspend (pid {pid})', report)

    r = bed.run(['systemctl', '--user', 'stop', 'hostpmd.service'], timeout=120)
    check_equal(r.returncode, 0, f'stopping hostpmd: {r.stderr}')
    props = unit_properties(bed, 'hostpmd.service', 'org.freedesktop.systemd1.Service', 'ExecMainStatus')
    check_equal(props['ExecMainStatus'], 0, 'hostpmd\'s exit status under memcheck')
    for unit, what in (('hostpmd.service', 'hostpmd'), ('hostpm-suspend.service', 'hostpm-sleep')):
        lines = [e.get('MESSAGE', '') for e in bed.journal.find(_SYSTEMD_UNIT=unit)]
        reports = memcheck_reports(lines)
        check_equal(len(reports), 1, f'memcheck reports of {what} in the journal')
        for pid, report in reports.items():
            check_memcheck(f'{what} (pid {pid})', report)


CASES = {'lifecycle': valgrind_lifecycle}

if __name__ == '__main__':
    testbed.main(CASES)
