#!/usr/bin/python3
'''hostpm under load (issue 4): many clients at the same instant.

"The same instant" is made exact, not hoped for: the logind mock holds its
answers (CanBatch=5: hostpmd only ever asks four questions at a time, so
the batch fills only when the test asks the fifth) and every client pings
hostpmd on the connection it called on; hostpmd reads a connection's
messages in order, so once every ping is answered, every call is inside
hostpmd, waiting for the one capabilities query. Then the test releases
logind. hostpmd's own bounds on logind's and polkit's answers (5 s, 25 s)
are lifted beyond the test's, so however long 50 clients take to start,
they all join the one query, and every held authorization check is still
held when polkit is released: no count depends on the machine's speed. No
case asserts a duration.

The bed, the clients and the checks are hostpmtest's.
'''

import testbed
from testbed import check, check_equal

import hostpmtest as h
import users

LOGIND_IFACE = 'org.freedesktop.login1.Manager'
HELD_LOGIND = {'CanBatch': 5, 'CanDelayMs': 3600000}  # held until the test asks the fifth question
# hostpmd waits for held answers (logind's, polkit's) as long as the test may take
HELD_ENV = {'HOSTPM_LOGIND_TIMEOUT_USEC': 3600 * 1000000, 'HOSTPM_POLKIT_TIMEOUT_USEC': 3600 * 1000000}
# starting 50 Python clients on a loaded machine: bounds, not expectations
CLIENTS_READY_TIMEOUT = 240
CALL_TIMEOUT = 600  # the clients' calls wait for the held answers
# 50 unprivileged callers of 50 UIDs: one UID may have only a few calls in
# flight (test-limits.py), all of them together more than 50.
UIDS = range(20000, 20050)
MEM_ONLY = {'CanHibernate': 'no', 'CanHybridSleep': 'na', 'CanSuspendThenHibernate': 'no'}


def release_logind(bed):
    '''Asks logind the fifth question: the batch is full, all answers go.'''
    logind = bed.mocks['logind'].interface(LOGIND_IFACE)
    return str(logind.CanSuspend(timeout=30))


def hostpmd_can_calls(bed, rounds_released):
    '''Can*() calls logind got from hostpmd (the test's own fifth
    questions left out).'''
    return len(h.can_calls(bed)) - rounds_released


def check_still_answers(bed, pid, rounds_released, what):
    '''hostpmd (the same process) answers one more GetCapabilities(), with
    logind held as in these cases.'''
    client = h.Client(bed, [h.call_spec('GetCapabilities')], uid=0, ping=True, timeout=CALL_TIMEOUT)
    client.wait_ready()
    check_equal(hostpmd_can_calls(bed, rounds_released), 4 * (rounds_released + 1), f'{what}: questions to logind')
    release_logind(bed)
    (result,) = client.result()['results']
    check('<wake_alarm' in result.get('reply', [''])[0], f'{what}: GetCapabilities(): {result}')
    check_equal(h.hostpmd_state(bed), ('active', pid, 0), f'{what}: hostpmd.service (ActiveState, MainPID, NRestarts)')


def all_ready(clients):
    for c in clients:
        c.wait_ready(timeout=CLIENTS_READY_TIMEOUT)


def schedule_50(bed):
    '''50 clients (processes of their own, unprivileged, of 50 UIDs,
    polkit allows them) ask to schedule at the same instant: one is scheduled, 49 are
    told it is busy and by which request; each decision is journaled with
    its caller; after a cancel nothing is left.'''
    users.add_users(bed, UIDS)
    watch = h.start(bed, logind=HELD_LOGIND, env=HELD_ENV)
    h.root_call(bed, 'Ping', interface='org.freedesktop.DBus.Peer')
    _state, pid, _restarts = h.hostpmd_state(bed)

    clients = [h.Client(bed, [h._schedule(delay=h.NEVER)], uid=uid, ping=True,  # pylint: disable=protected-access
                               timeout=CALL_TIMEOUT)
               for uid in UIDS]
    uid_of = {c.pid: uid for c, uid in zip(clients, UIDS)}
    all_ready(clients)
    check_equal(hostpmd_can_calls(bed, 0), 4, 'questions to logind for 50 waiting requests')
    check_equal(h.polkit_asked(bed), [], 'polkit asked before the capabilities were known')
    release_logind(bed)

    results = {c.pid: c.result()['results'][0] for c in clients}
    scheduled = {p: r['reply'] for p, r in results.items() if 'reply' in r}
    check_equal(len(scheduled), 1, f'requests scheduled (results: {results})')
    (winner, (request, _suspend, _wake)), = scheduled.items()
    busy = {p: r for p, r in results.items() if r.get('error') == h.E + 'Busy'}
    check_equal(len(busy), 49, f'requests told "busy" (results: {results})')
    for p, r in busy.items():
        check(f'already pending as request {request}' in r['message'],
              f'client {p}: the busy error does not name the pending request: {r["message"]!r}')

    check_equal(len(h.polkit_asked(bed)), 50, 'authorization checks')
    h.decision(bed, 'SCHEDULED', uid_of[winner], winner, HOSTPM_REQUEST_ID=request)
    for p in busy:
        h.decision(bed, 'REFUSED', uid_of[p], p)
    check_equal([u[:3] for u in h.hostpm_units(bed)],
                [('hostpm-suspend.service', 'loaded', 'inactive'), ('hostpm-suspend.timer', 'loaded', 'active')],
                'the one request\'s units')
    check_equal(sorted(set(watch.created())), ['hostpm-suspend.service', 'hostpm-suspend.timer'],
                'units ever created')

    check_equal(str(h.root_call(bed, 'CancelSuspend')), request, 'cancelled')
    h.wait_nothing_left(bed, 'after the cancel')
    check_equal(watch.alarm_state(), watch.alarm, 'the wake alarm')
    check_still_answers(bed, pid, 1, 'after 50 requests')


def cancel_50(bed):
    '''50 unprivileged clients cancel the one pending request at the same
    instant (held at polkit this time): one cancels it, 49 are told there
    is nothing to cancel.'''
    users.add_users(bed, UIDS)
    watch = h.start(bed, env=HELD_ENV)
    _client, request = h.schedule_as_nobody(bed, delay=h.NEVER)
    _state, pid, _restarts = h.hostpmd_state(bed)
    polkit = bed.mocks['polkitd'].control
    polkit.ClearCalls()
    polkit.SimulateHang(True)

    clients = [h.Client(bed, [h.call_spec('CancelSuspend')], uid=uid, ping=True, timeout=CALL_TIMEOUT)
               for uid in UIDS]
    uid_of = {c.pid: uid for c, uid in zip(clients, UIDS)}
    all_ready(clients)
    testbed.wait_for(lambda: len(h.polkit_asked(bed)) == 50, '50 authorization checks held by polkit',
                     timeout=CLIENTS_READY_TIMEOUT)
    polkit.SimulateHang(False)
    polkit.ReleaseHangingCalls()

    results = {c.pid: c.result()['results'][0] for c in clients}
    cancelled = [p for p, r in results.items() if r.get('reply') == [request]]
    check_equal(len(cancelled), 1, f'cancels that cancelled (results: {results})')
    nothing = [p for p, r in results.items() if r.get('error') == h.E + 'NothingPending']
    check_equal(len(nothing), 49, f'cancels told "nothing pending" (results: {results})')
    h.decision(bed, 'CANCELLED', uid_of[cancelled[0]], cancelled[0], HOSTPM_REQUEST_ID=request)
    for p in nothing:
        h.decision(bed, 'REFUSED', uid_of[p], p)
    h.wait_nothing_left(bed, 'after the cancels')
    check_equal(watch.alarm_state(), watch.alarm, 'the wake alarm')
    h.check_daemon_answers(bed, pid, 'after 50 cancels')


def capabilities_200(bed):
    '''200 concurrent GetCapabilities() (4 processes of 50 connections)
    all get the right document, from one round of four questions to
    logind. A second wave after logind changes its mind gets the new
    answers from one more round: shared, never cached.'''
    h.start(bed, logind=HELD_LOGIND, polkit=None, env=HELD_ENV)
    h.root_call(bed, 'Ping', interface='org.freedesktop.DBus.Peer')
    _state, pid, _restarts = h.hostpmd_state(bed)

    def wave(rounds_before):
        # as root, like the other cases' own checks
        clients = [h.Client(bed, [h.call_spec('GetCapabilities')] * 50, uid=0, ping=True,
                                   connections=True, timeout=CALL_TIMEOUT) for _ in range(4)]
        all_ready(clients)
        check_equal(hostpmd_can_calls(bed, rounds_before), 4 * (rounds_before + 1),
                    f'questions to logind with 200 callers waiting (round {rounds_before + 1})')
        release_logind(bed)
        return [r for c in clients for r in c.result()['results']]

    documents = wave(0)
    check_equal(len(documents), 200, 'answers')
    errors = [r for r in documents if 'reply' not in r]
    check_equal(errors, [], 'errors among 200 answers')
    first = documents[0]['reply'][0]
    check(all(r['reply'][0] == first for r in documents), 'the 200 documents differ')
    for element in ('<suspend_mem/>', '<suspend_disk/>', '<suspend_hybrid/>'):
        check(element in first, f'{element} missing:\n{first}')

    for method, answer in MEM_ONLY.items():
        bed.mocks['logind'].control.SetCanAnswer(method, answer)
    documents = wave(1)
    check_equal([r for r in documents if 'reply' not in r], [], 'errors in the second wave')
    second = documents[0]['reply'][0]
    check(all(r['reply'][0] == second for r in documents), 'the second wave\'s documents differ')
    check('<suspend_mem/>' in second and '<suspend_disk/>' not in second and '<suspend_hybrid/>' not in second,
          f'the second wave does not reflect logind\'s new answers:\n{second}')
    check_equal(hostpmd_can_calls(bed, 2), 8, 'questions to logind for 400 calls in two waves')
    check_still_answers(bed, pid, 2, 'after 400 GetCapabilities()')


CASES = {
    'schedule-50': schedule_50,
    'cancel-50': cancel_50,
    'capabilities-200': capabilities_200,
}

if __name__ == '__main__':
    testbed.main(CASES)
