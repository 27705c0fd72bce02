#!/usr/bin/python3
'''Authorization: callers other than root go through polkit, asked about
hostpm's own actions (suspend, cancel, ignore-inhibitors) with the
request's details; a challenge is met only with interaction allowed; no
polkit, or one that never answers, means no. Root is not asked.

Most cases use our polkit template (templates/polkit.py: allow, deny,
challenge); polkit-hangs uses dbusmock's stock polkitd, which can hold a
question (SimulateHang) and say it still holds it.
'''

import testbed
from testbed import check, check_equal

from hostpmtest import (ACTION_CANCEL, ACTION_SUSPEND, E, EXIT_NOT_AUTHORIZED, INTERACTIVE_AUTHORIZATION_REQUIRED,
                        NOBODY, USEC, _schedule, activate, call_as, check_daemon_answers, check_nothing_scheduled,
                        check_resumed, check_says, cli, client, decision, hostpm_properties, journal_entries,
                        polkit_checks, run_cli, schedule, start, start_cycle, wait_nothing_left)


def polkit_allow(bed):
    '''polkit is asked about the caller's bus name for hostpm's own action,
    with the request's details and no interaction; granted, the request is
    carried out in the caller's name.'''
    start_cycle(bed, polkit={'Allowed': [ACTION_SUSPEND]})
    answer = client(bed, 'ScheduleSuspend', 'sttt', ['mem', 2 * USEC, 0, 0])
    check('reply' in answer, f'scheduled: {answer}')
    request_id = answer['reply'][0]
    (call,) = polkit_checks(bed)
    details = call[3]
    check_equal(call[:3] + (call[4],), ('system-bus-name', answer['sender'], ACTION_SUSPEND, 0), 'the polkit check')
    # the request's details (org.hostpm1(5)); the wake time as planned
    # when polkit was asked, the reply's taken a moment later
    check_equal({k: v for k, v in details.items() if k != 'wake_usec'},
                {'request_id': request_id, 'target': 'mem', 'duration': '2s', 'duration_usec': str(2 * USEC),
                 'requester_uid': str(NOBODY)}, 'the polkit details')
    check(answer['reply'][1] < int(details['wake_usec']) <= answer['reply'][2],
          f'the wake time polkit was told: {details}, reply {answer["reply"]}')
    check_equal(hostpm_properties(bed)['PendingRequesterUID'], NOBODY, 'PendingRequesterUID')
    check_resumed(bed, request_id, 'mem', 2)
    check_equal(journal_entries(bed, 'RESUMED', request_id)[0]['HOSTPM_REQUESTER_UID'], str(NOBODY),
                'the requester in the journal')


def polkit_deny(bed):
    watch = start_cycle(bed, polkit={})
    r = cli(bed, '2s', user=NOBODY, status=EXIT_NOT_AUTHORIZED)
    check(ACTION_SUSPEND in r.stderr, f'the error names the action: {r.stderr!r}')
    check_equal([c[2] for c in polkit_checks(bed)], [ACTION_SUSPEND], 'asked polkit')
    check_nothing_scheduled(bed, watch)
    (denied,) = journal_entries(bed, 'DENIED')
    check_equal((denied['HOSTPM_REQUESTER_UID'], denied['HOSTPM_REQUESTER_PID']), (str(NOBODY), str(r.pid)),
                'who was denied, in the journal')


def polkit_challenge_noninteractive(bed):
    '''polkit wants a password and the caller did not allow interaction:
    InteractiveAuthorizationRequired, nothing scheduled.'''
    watch = start_cycle(bed, polkit={'Challenge': [ACTION_SUSPEND]})
    answer = client(bed, 'ScheduleSuspend', 'sttt', ['mem', 2 * USEC, 0, 0], interactive=False)
    check_equal(answer.get('error'), INTERACTIVE_AUTHORIZATION_REQUIRED, f'the answer: {answer}')
    r = cli(bed, '2s', user=NOBODY, status=EXIT_NOT_AUTHORIZED)  # --no-ask-password
    check('Authentication is required' in r.stderr, f'what the CLI says: {r.stderr!r}')
    check_equal([c[4] for c in polkit_checks(bed)], [0, 0], 'CheckAuthorization flags')
    check_nothing_scheduled(bed, watch)


def polkit_challenge_interactive(bed):
    '''The caller allows interaction: polkit is asked with
    AllowUserInteraction, its agent's user authenticates (the mock), and
    the request goes through. The CLI allows it unless --no-ask-password.'''
    start_cycle(bed, polkit={'Challenge': [ACTION_SUSPEND]})
    answer = client(bed, 'ScheduleSuspend', 'sttt', ['mem', 2 * USEC, 0, 2], interactive=True)
    check_equal(answer.get('reply', [None])[0], '', f'a dry run, authorized: {answer}')
    plan = schedule(bed, '2s', user=NOBODY, interactive=True)
    check_equal([(c[2], c[4]) for c in polkit_checks(bed)], [(ACTION_SUSPEND, 1)] * 2,
                'CheckAuthorization with AllowUserInteraction')
    check_resumed(bed, plan['id'], 'mem', 2)


def polkit_cancel(bed):
    '''Cancelling is an action of its own: allowed to suspend is not
    allowed to cancel.'''
    start_cycle(bed, polkit={'Allowed': [ACTION_SUSPEND]})
    plan = schedule(bed, '--delay=60s', '2s', user=NOBODY)
    cli(bed, '--cancel', user=NOBODY, status=EXIT_NOT_AUTHORIZED)
    check_equal(hostpm_properties(bed)['PendingId'], plan['id'], 'still pending after the denied cancel')
    bed.mocks['polkitd'].control.SetAllowed([ACTION_SUSPEND, ACTION_CANCEL])
    cli(bed, '--cancel', user=NOBODY)
    check_equal([c[2] for c in polkit_checks(bed)], [ACTION_SUSPEND, ACTION_CANCEL, ACTION_CANCEL],
                'the actions polkit was asked about')
    wait_nothing_left(bed, 'the cancelled units to go')


def root_bypasses_polkit(bed):
    start_cycle(bed, polkit={})
    plan = schedule(bed, '--delay=60s', '2s')
    cli(bed, '--cancel')
    check_equal(polkit_checks(bed), [], 'polkit asked for root')
    journal_entries(bed, 'CANCELLED', plan['id'])


def dry_run_authorizes(bed):
    watch = start_cycle(bed, polkit={})
    cli(bed, '--dry-run', '2s', user=NOBODY, status=EXIT_NOT_AUTHORIZED)
    check_nothing_scheduled(bed, watch)


def polkit_absent(bed):
    '''No polkit on the bus means no, at once: the CLI says so, the
    denial is journaled with the caller, nothing is scheduled, and hostpmd
    lives on.'''
    watch = start(bed, polkit=None)
    pid = activate(bed)
    client_pid, r = run_cli(bed, ['--no-ask-password', '10min'])
    check_equal(r.returncode, EXIT_NOT_AUTHORIZED, f'exit status (stderr {r.stderr!r})')
    check_says(r.stderr, ['Not authorized for org.hostpm1.suspend', 'did not answer'], 'stderr')
    decision(bed, 'DENIED', NOBODY, client_pid)
    watch.check_nothing_made('polkit absent')
    check_nothing_scheduled(bed, watch)
    check_daemon_answers(bed, pid, 'polkit absent')


def polkit_hangs(bed):
    '''polkit never answers: denied when hostpmd's bound runs out (1 s
    here) while polkit still holds the question, over D-Bus and through
    the CLI; journaled, nothing scheduled, hostpmd lives on.'''
    watch = start(bed, env={'HOSTPM_POLKIT_TIMEOUT_USEC': USEC})
    bed.mocks['polkitd'].control.SimulateHang(True)
    pid = activate(bed)
    client_pid, (result,) = call_as(bed, [_schedule()])
    check_equal(result.get('error'), E + 'NotAuthorized', f'the error ({result})')
    check_says(result['message'], ['org.hostpm1.suspend', 'did not answer'], 'the error')
    check(bed.mocks['polkitd'].control.HaveHangingCalls(), 'polkit answered after all')
    decision(bed, 'DENIED', NOBODY, client_pid)
    r = cli(bed, '10min', user=NOBODY, status=EXIT_NOT_AUTHORIZED)
    check('Not authorized' in r.stderr, f'what the CLI says: {r.stderr!r}')
    decision(bed, 'DENIED', NOBODY, r.pid)
    watch.check_nothing_made('polkit hangs')
    check_nothing_scheduled(bed, watch)
    check_daemon_answers(bed, pid, 'polkit hangs')


CASES = {
    'allow': polkit_allow,
    'deny': polkit_deny,
    'challenge-noninteractive': polkit_challenge_noninteractive,
    'challenge-interactive': polkit_challenge_interactive,
    'absent': polkit_absent,
    'hangs': polkit_hangs,
    'cancel': polkit_cancel,
    'root-bypasses': root_bypasses_polkit,
    'dry-run-authorizes': dry_run_authorizes,
}

if __name__ == '__main__':
    testbed.main(CASES)
