#!/usr/bin/python3
'''The audit trail (issue 4): every decision -- denied, refused (with why),
scheduled, refused as busy, cancelled, started, resumed -- leaves one
structured journal entry (MESSAGE_ID, HOSTPM_* fields) naming the caller's
uid and pid; and what anyone may read (capabilities, status), anyone can.
'''

import testbed
from testbed import check, check_equal

from hostpmtest import (ACTIONS, E, EXIT_OK, FAST_CONFIG, NEVER, NOBODY, USEC, Signals, _schedule, call_as,
                        call_spec, check_says, decision, run_cli, schedule_as_nobody, start)

try:
    import dbus
except ImportError:  # the outer copy; only the bed needs dbus
    dbus = None


def unprivileged_reads(bed):
    '''Reading capabilities and status: anyone (DESIGN.md).'''
    start(bed)
    _client, (result,) = call_as(bed, [call_spec('GetCapabilities')])
    check('reply' in result, f'GetCapabilities() as uid {NOBODY}: {result}')
    _pid, r = run_cli(bed, ['--status'])
    check_equal(r.returncode, EXIT_OK, f'--status as uid {NOBODY} (stderr {r.stderr!r})')
    _pid, r = run_cli(bed, ['--capabilities'])
    check_equal(r.returncode, EXIT_OK, f'--capabilities as uid {NOBODY} (stderr {r.stderr!r})')


def journal_decisions(bed):
    '''Denied, refused (with why), granted, refused as busy, cancelled,
    started and resumed: one entry each, naming the caller's uid and pid
    (the helper's name the requester's, which it is told).'''
    start(bed, config=FAST_CONFIG, polkit=[])
    polkit = bed.mocks['polkitd'].control
    signals = Signals(bed)

    client, (result,) = call_as(bed, [_schedule()])
    check_equal(result.get('error'), E + 'NotAuthorized', f'denied ({result})')
    entry = decision(bed, 'DENIED', NOBODY, client, HOSTPM_TARGET='mem', HOSTPM_ASKED_USEC=str(600 * USEC))
    check_says(entry['HOSTPM_ERROR'], ['org.hostpm1.suspend', 'polkit refused'], 'why it was denied')

    polkit.SetAllowed(dbus.Array(['org.hostpm1.suspend'], signature='s'))
    client, (result,) = call_as(bed, [_schedule(duration=0)])
    entry = decision(bed, 'REFUSED', NOBODY, client)
    check_equal(entry['HOSTPM_ERROR'], result['message'], 'why it was refused')

    client, request = schedule_as_nobody(bed, delay=NEVER)
    decision(bed, 'SCHEDULED', NOBODY, client, HOSTPM_REQUEST_ID=request, HOSTPM_TARGET='mem',
             HOSTPM_ASKED_USEC=str(600 * USEC))

    client, (result,) = call_as(bed, [_schedule()])
    check_equal(result.get('error'), E + 'Busy', f'busy ({result})')
    entry = decision(bed, 'REFUSED', NOBODY, client)
    check_says(entry['HOSTPM_ERROR'], [f'already pending as request {request}'], 'why it was refused')

    client, (result,) = call_as(bed, [call_spec('CancelSuspend')])
    check_equal(result.get('error'), E + 'NotAuthorized', f'cancel denied ({result})')
    entry = decision(bed, 'DENIED', NOBODY, client)
    check_says(entry['HOSTPM_ERROR'], ['org.hostpm1.cancel'], 'why the cancel was denied')

    polkit.SetAllowed(dbus.Array(ACTIONS, signature='s'))
    client, (result,) = call_as(bed, [call_spec('CancelSuspend')])
    check_equal(result.get('reply'), [request], f'cancelled ({result})')
    decision(bed, 'CANCELLED', NOBODY, client, HOSTPM_REQUEST_ID=request)

    client, request = schedule_as_nobody(bed, duration=2 * USEC)
    check_equal(signals.finished(request)[1], 'resumed', 'the outcome')
    for kind in ('SCHEDULED', 'STARTED', 'RESUMED'):
        decision(bed, kind, NOBODY, client, HOSTPM_REQUEST_ID=request, HOSTPM_TARGET='mem',
                 HOSTPM_ASKED_USEC=str(2 * USEC))


def journal_cancel_refusals(bed):
    '''A cancel that is refused (nothing pending) is a decision too.'''
    start(bed)
    client, (result,) = call_as(bed, [call_spec('CancelSuspend')])
    check_equal(result.get('error'), E + 'NothingPending', f'the error ({result})')
    decision(bed, 'REFUSED', NOBODY, client)


CASES = {
    'unprivileged-reads': unprivileged_reads,
    'journal-decisions': journal_decisions,
    'journal-cancel-refusals': journal_cancel_refusals,
}

if __name__ == '__main__':
    testbed.main(CASES)
