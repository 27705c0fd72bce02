#!/usr/bin/python3
'''Sleeps in legs, end to end in the bed: a sleep longer than the wake
alarm reaches (WakeAlarmRange=, lowered here to seconds) is slept as legs,
re-armed by hostpm-sleep at each wake by the alarm; suspend-then-hibernate
is RAM for HibernateDelay=, then disk for the rest. The mock logind sleeps
until the fake RTC reaches each alarm.

What holds at any speed is checked, not how many legs a loaded machine
needed: every alarm within the range and no nearer than MinimumDuration=,
none past the asked end, the legs recorded as logind was called, and a
host that is woken by anything but the alarm, or cannot re-arm, stays
awake and says why.
'''

import os
import re

import testbed
from testbed import check, check_equal, wait_for

from hostpmtest import (CYCLE_CONFIG, E, EXIT_REFUSED, USEC, check_nothing_scheduled, cli, client, journal,
                        schedule, sleep_records, start_cycle, wait_for_outcome, wait_for_sleep, wait_nothing_left,
                        wakealarm)

RANGE = 5
LEGS_CONFIG = CYCLE_CONFIG + f'WakeAlarmRange={RANGE}s\n'


def check_legs(bed, plan, seconds):
    '''The request's legs as logind was called for them and as recorded:
    each alarm RANGE s ahead at most and MinimumDuration= (2 s) at least,
    none past the asked end, each woken by the alarm.'''
    p = wait_for_outcome(bed, plan['id'])
    calls = sleep_records(bed)
    legs = p['LastLegs']
    check_equal(len(legs), len(calls), f'a leg recorded per sleep call ({legs}, {calls})')
    check(len(calls) >= 2, f'slept in legs: {calls}')
    first_leg = calls[0]['alarm'] - calls[0]['rtc']
    end = calls[0]['alarm'] - first_leg + seconds  # the RTC's clock at the asked end
    for i, c in enumerate(calls):
        ahead = c['alarm'] - c['rtc']
        check(2 <= ahead <= RANGE, f'leg {i + 1}: the alarm {ahead} s ahead, within 2..{RANGE}: {c}')
        check(c['alarm'] <= end, f'leg {i + 1}: the alarm {c["alarm"]} not past the asked end {end}')
    for i, (target, asked, slept, woken, alarm, suspend, resume) in enumerate(legs):
        check_equal((woken, alarm), (True, calls[i]['alarm']), f'leg {i + 1}: woken by its alarm')
        check(suspend <= resume, f'leg {i + 1}: suspended before it resumed: {legs[i]}')
    check_equal((p['LastResult'], p['LastAskedUSec'], p['LastWokenByAlarm']), ('resumed', seconds * USEC, True),
                'the whole request')
    # the last leg ends at the asked end, or the request says how much earlier
    if calls[-1]['alarm'] != end:
        check(re.search(r'woke \d+ s before the asked time', p['LastError']),
              f'ended before the asked end ({calls[-1]["alarm"]} < {end}), and says so: {p["LastError"]!r}')
    else:
        check_equal(p['LastError'], '', 'no error')
    check(wakealarm(bed) in ('', '0'), f'the alarm is cleared after the last leg: {wakealarm(bed)!r}')
    check_equal(len(journal(bed, 'LEG', plan['id'])), len(legs) - 1, 'a journal entry per leg woken before the next')
    check_equal(len(journal(bed, 'RESUMED', plan['id'])), 1, 'one resumed entry')
    wait_nothing_left(bed, 'the finished units')
    return p


def legs(bed):
    '''12 s with the alarm reaching 5 s: legs of 4 s, each planned from
    the time left; recorded, journaled, shown by --status.'''
    start_cycle(bed, config=LEGS_CONFIG)
    plan = schedule(bed, '12s')
    p = check_legs(bed, plan, 12)
    check_equal({leg[0] for leg in p['LastLegs']}, {'mem'}, 'every leg in RAM')
    check_equal(p['LastLegs'][0][1], 4 * USEC, 'the first leg: 12 s in three equal legs')
    (entry, *_) = journal(bed, 'LEG', plan['id'])
    check_equal((entry['HOSTPM_LEG'], entry['HOSTPM_LEG_TARGET'], entry['HOSTPM_WOKEN_BY_ALARM']), ('1', 'mem', '1'),
                'the first leg\'s journal entry')
    status = cli(bed, '--status', '--json').json()['last']
    check_equal(len(status['legs']), len(p['LastLegs']), '--status --json: the legs')
    text = cli(bed, '--status').stdout
    check(f'leg 1 of {len(p["LastLegs"])}: mem, asked 4s' in text, f'--status in words: {text!r}')


def wait_shows_legs(bed):
    '''--wait reports the total and each leg.'''
    start_cycle(bed, config=LEGS_CONFIG)
    r = cli(bed, '--wait', '8s')
    check(re.search(r'^Resumed: slept .*\(asked 8s[;)]', r.stdout, re.M), f'the total: {r.stdout!r}')
    check(re.search(r'^ +leg 1 of [2-9]: mem, asked 4s, slept .*, woken by the RTC alarm$', r.stdout, re.M),
          f'each leg: {r.stdout!r}')
    r = cli(bed, '--status', '--json')
    check(len(r.json()['last']['legs']) >= 2, f'the legs in --status --json: {r.stdout!r}')


def suspend_then_hibernate(bed):
    '''suspend-then-hibernate: logind's Suspend for HibernateDelay=, then
    Hibernate for the rest, the last alarm at the asked end.'''
    start_cycle(bed, config=LEGS_CONFIG + 'HibernateDelay=3s\n')
    plan = schedule(bed, '--target=suspend-then-hibernate', '8s')
    p = check_legs(bed, plan, 8)
    calls = sleep_records(bed)
    check_equal([c['method'] for c in calls], ['SuspendWithFlags', 'HibernateWithFlags'],
                'RAM first, then disk (5 s: one leg)')
    check_equal([leg[0] for leg in p['LastLegs']], ['mem', 'disk'], 'the legs\' targets')
    check_equal(p['LastTarget'], 'suspend-then-hibernate', 'the request\'s target')


def short_suspend_then_hibernate(bed):
    '''No more than MinimumDuration= would be left for the disk: all in RAM.'''
    start_cycle(bed, config=CYCLE_CONFIG + 'HibernateDelay=3s\n')
    plan = schedule(bed, '--target=suspend-then-hibernate', '4s')
    p = wait_for_outcome(bed, plan['id'])
    check_equal([c['method'] for c in sleep_records(bed)], ['SuspendWithFlags'], 'one sleep in RAM')
    check_equal((p['LastResult'], [leg[0] for leg in p['LastLegs']]), ('resumed', ['mem']), 'the outcome')


def not_armable(bed):
    '''A plan whose later leg could not be armed is refused before
    anything is scheduled, on the command line and over D-Bus: 5 s with
    the alarm reaching 4 s needs two legs of 2.5 s, under the minimum of 3.'''
    watch = start_cycle(bed, config=CYCLE_CONFIG.replace('MinimumDuration=2s', 'MinimumDuration=3s') +
                        'WakeAlarmRange=4s\n')
    r = cli(bed, '5s', status=EXIT_REFUSED)
    for w in ('a later leg could not be armed', 'needs 2 legs', 'MinimumDuration= (3 s)', 'WakeAlarmRange='):
        check(w in r.stderr, f'the error says {w!r}: {r.stderr!r}')
    check_nothing_scheduled(bed, watch)
    answer = client(bed, 'ScheduleSuspend', 'sttt', ['mem', 5 * USEC, 0, 0], user=0)
    check_equal(answer.get('error'), E + 'LegNotArmable', f'the D-Bus error: {answer}')
    check_nothing_scheduled(bed, watch)
    check_equal(len(journal(bed, 'REFUSED')), 2, 'both refusals journaled')
    # 6 s divides into two legs of 3 s
    cli(bed, '--dry-run', '6s')


def held_first_leg(bed, config=LEGS_CONFIG):
    '''A request of 12 s whose first leg the mock holds asleep after its
    alarm fired (the alarm read back as empty, as an RTC does).'''
    start_cycle(bed, config=config, logind={'HoldWake': True})
    plan = schedule(bed, '12s')
    wait_for_sleep(bed)
    wait_for(lambda: wakealarm(bed) == '', 'the first leg\'s alarm to fire', timeout=60)
    return plan


def rearm_fails(bed):
    '''The RTC cannot be armed for the next leg: the host stays awake, the
    request failed, saying after which leg and why; logind is not asked
    again.'''
    plan = held_first_leg(bed)
    # the wakealarm attribute goes away while the host sleeps
    os.unlink(bed.wakealarm_path)
    os.mkdir(bed.wakealarm_path)
    bed.mocks['logind'].control.SetHoldWake(False)
    p = wait_for_outcome(bed, plan['id'])
    check_equal(p['LastResult'], 'failed', f'the outcome ({p["LastError"]!r})')
    for w in ('after leg 1', 'of 12 s asleep, the host stays awake', 'wake alarm of RTC rtc0'):
        check(w in p['LastError'], f'the error says {w!r}: {p["LastError"]!r}')
    check_equal(len(sleep_records(bed)), 1, 'logind asked once')
    check_equal(len(p['LastLegs']), 1, 'the leg slept is recorded')


def woken_early(bed):
    '''Woken by something else than the alarm (a key, a magic packet):
    the sleep is over; no leg follows.'''
    start_cycle(bed, config=LEGS_CONFIG)
    plan = schedule(bed, '12s')
    wait_for_sleep(bed)
    bed.mocks['logind'].control.WakeUp()
    p = wait_for_outcome(bed, plan['id'])
    check_equal((p['LastResult'], p['LastWokenByAlarm'], len(p['LastLegs'])), ('resumed', False, 1),
                'resumed, not by the alarm, after one leg')
    check_equal(len(sleep_records(bed)), 1, 'logind asked once')
    check(wakealarm(bed) in ('', '0'), f'the alarm is cleared: {wakealarm(bed)!r}')


def inhibited_between_legs(bed):
    '''A block inhibitor taken while the host slept: the next leg is
    refused as the first would have been, the host stays awake.'''
    plan = held_first_leg(bed)
    logind = bed.bus.get_object('org.freedesktop.login1', '/org/freedesktop/login1')
    fd = logind.Inhibit('sleep', 'backup', 'copying', 'block', dbus_interface='org.freedesktop.login1.Manager')
    bed.mocks['logind'].control.SetHoldWake(False)
    p = wait_for_outcome(bed, plan['id'])
    check_equal(p['LastResult'], 'refused', f'the outcome ({p["LastError"]!r})')
    for w in ('after leg 1', 'the host stays awake', 'backup'):
        check(w in p['LastError'], f'the error says {w!r}: {p["LastError"]!r}')
    check_equal(len(sleep_records(bed)), 1, 'logind asked once')
    fd.take()


CASES = {
    'legs': legs,
    'wait-shows-legs': wait_shows_legs,
    'suspend-then-hibernate': suspend_then_hibernate,
    'short-suspend-then-hibernate': short_suspend_then_hibernate,
    'not-armable': not_armable,
    'rearm-fails': rearm_fails,
    'woken-early': woken_early,
    'inhibited-between-legs': inhibited_between_legs,
}

if __name__ == '__main__':
    testbed.main(CASES)
