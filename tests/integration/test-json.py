#!/usr/bin/python3
'''hostpm-suspend --json, byte for byte: every JSON the CLI prints is
json-c's, built and checked the same way (src/shared/json-util.h). Each
output is compared with the text Python's json module writes for the same
values in the same layout, so escaping, layout and key order are all
checked, not only that the output parses.

  status-strings  --status --json with a last outcome whose words are not
                  hostpm's own (quotes, backslash, "/", control characters,
                  non-ASCII): escaped as JSON requires, "/" left alone (as
                  the capabilities JSON and the outcome record write it),
                  nothing pending written as null
  plan-status-cancel
                  a dry run, a request, the status while it is pending and
                  its cancellation, each as JSON
'''

import json
import os
import re

import testbed
from testbed import check, check_equal

CONFIG = '[Suspend]\nDelay=1s\nMinimumDuration=2s\n'
USEC = 1000000
# What a helper, logind or an inhibitor may have said: not hostpm's words.
FOREIGN = 'logind said "no" to /run/x\\y:\ttab,\x1b[31mred\x1b[0m, bell\x07, \u00e9t\u00e9 \u2713'


def one_line(values):
    '''json-c's JSON_FORMAT_LINE: "{ "key": value, ... }".'''
    return '{ ' + ', '.join(f'{json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}'
                            for k, v in values.items()) + ' }\n'


def pretty(values):
    '''json-c's JSON_FORMAT_PRETTY, which is Python's indent=2.'''
    return json.dumps(values, indent=2, ensure_ascii=False) + '\n'


def start(bed):
    with open(os.path.join(bed.hostpm_config_dir, 'hostpm.conf'), 'w', encoding='utf-8') as f:
        f.write(CONFIG)
    bed.start(logind={}, hostpmd=True)


def cli(bed, *args):
    r = bed.run([bed.cli, '--no-ask-password', '--json', *args])
    check_equal(r.returncode, 0, f'exit status of hostpm-suspend --json {" ".join(args)} (stderr {r.stderr!r})')
    check_equal(r.stderr, '', 'stderr')
    return r.stdout


def check_text(what, actual, expected):
    check(actual == expected, f'{what}:\n  printed  {actual!r}\n  expected {expected!r}')


def status_strings(bed):
    record = {'id': 'f00d' * 8, 'target': 'mem', 'result': 'failed', 'error': FOREIGN,
              'asked_usec': 60 * USEC, 'slept_usec': 0, 'woken_by_alarm': False, 'alarm': 0,
              'started_realtime_usec': 1795316891811498, 'resumed_realtime_usec': 0,
              'requester_uid': 0, 'requester_pid': 1}
    os.makedirs(os.path.join(bed.config_home, 'hostpm'), exist_ok=True)
    with open(os.path.join(bed.config_home, 'hostpm', 'last-outcome.json'), 'w', encoding='utf-8') as f:
        json.dump(record, f)
    start(bed)
    out = cli(bed, '--status')
    check('\\/' not in out, f'"/" escaped: {out!r}')
    check_text('--status --json', out, pretty({
        'pending': None,
        'last': {'id': record['id'], 'target': 'mem', 'result': 'failed', 'error': FOREIGN,
                 'asked_usec': 60 * USEC, 'slept_usec': 0, 'woken_by_alarm': False,
                 'suspend_usec': record['started_realtime_usec'], 'resume_usec': 0},
        'stay_awake': None}))


def plan_status_cancel(bed):
    start(bed)
    out = cli(bed, '--dry-run', '2min')
    plan = json.loads(out)
    check_text('--dry-run --json', out, one_line({'id': '', 'dry_run': True, 'target': 'mem',
                                                  'suspend_usec': plan['suspend_usec'],
                                                  'wake_usec': plan['suspend_usec'] + 120 * USEC}))

    out = cli(bed, '--delay=30min', '2min')
    plan = json.loads(out)
    check(re.fullmatch('[0-9a-f]{32}', plan['id']), f'a request id: {out!r}')
    check_text('--json', out, one_line({'id': plan['id'], 'dry_run': False, 'target': 'mem',
                                        'suspend_usec': plan['suspend_usec'],
                                        'wake_usec': plan['suspend_usec'] + 120 * USEC}))

    out = cli(bed, '--status')
    pending = json.loads(out)['pending']
    # systemd says when the timer fires, to its own clock: not necessarily
    # the microsecond of the plan
    check_text('--status --json while pending', out, pretty({
        'pending': {'id': plan['id'], 'state': 'scheduled', 'target': 'mem',
                    'suspend_usec': pending['suspend_usec'], 'wake_usec': pending['suspend_usec'] + 120 * USEC,
                    'duration_usec': 120 * USEC},
        'last': None, 'stay_awake': None}))

    check_text('--cancel --json', cli(bed, '--cancel'), one_line({'cancelled': plan['id']}))


if __name__ == '__main__':
    testbed.main({'status-strings': status_strings, 'plan-status-cancel': plan_status_cancel})
