#!/usr/bin/python3
'''hostpm's Cockpit page in a real browser (issue 12): Debian's cockpit-ws
and cockpit-bridge serve a session of a test user on the bed's bus, headless
Debian chromium shows the page, and everything it does goes through the real
hostpmd, the real polkitd (with the rules hostpm ships), the bed's systemd
--user and the mock logind. See cockpitbed.py.

Each case is a bed, a cockpit-ws and a browser of its own (about 400 MiB
and a few seconds to start), so a failure names itself and no case depends
on another. Every case ends by checking that the browser's console has no
error, and keeps screenshots of what it saw under meson-logs/cockpit/<case>/.
'''

import json
import os
import re
import time

import cockpitbed
from cockpitbed import ADMIN, GUEST, Session

import historybed
from historybed import USEC, cli, get_history

import testbed
from testbed import check, check_equal

try:
    import dbus
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select
except ImportError:
    dbus = By = Select = None

import buscapture

TARGETS = ['mem', 'disk', 'hybrid', 'suspend-then-hibernate']


def units(bed):
    '''hostpm-suspend.* units the bed's manager has loaded: {name: active state}.'''
    manager = dbus.Interface(bed.bus.get_object('org.freedesktop.systemd1', '/org/freedesktop/systemd1',
                                                introspect=False), 'org.freedesktop.systemd1.Manager')
    return {str(u[0]): str(u[3]) for u in manager.ListUnitsByPatterns(dbus.Array([], signature='s'),
                                                                        ['hostpm-suspend.*'])}


def fill_form(page, amount=None, unit=None, target=None, delay=None, dry_run=None):
    def set_value(element_id, value):
        page.js('arguments[0].value = arguments[1]', page.find(element_id), str(value))
    if amount is not None:
        page.find('mode-duration').click()
        set_value('duration', amount)
    if unit is not None:
        Select(page.find('duration-unit')).select_by_visible_text(unit)
    if target is not None:
        Select(page.find('target')).select_by_value(target)
    if delay is not None:
        set_value('delay', delay)
    if dry_run is not None and page.find('dry-run').is_selected() != dry_run:
        page.find('dry-run').click()


def submit(page):
    '''Schedule, and wait for what the page says about it.'''
    page.find('schedule-button').click()
    page.wait(lambda: page.visible('schedule-error') or page.visible('schedule-result'), 'an answer to Schedule')


def cycles(page):
    '''The chart's requests: [(id, asked height, slept height)] in px.'''
    return page.js('''
        return Array.from(document.querySelectorAll("#history-chart g.cycle")).map(g => [
            g.dataset.id,
            g.querySelector("rect.bar-asked").getBoundingClientRect().height,
            g.querySelector("rect.bar-slept").getBoundingClientRect().height]);''')


#
# The cases
#

def loads(bed):
    '''The page loads with no console error and shows what the CLI shows:
    every target's support and logind answer, the wake alarm and its state,
    hostpmd's limits.'''
    cockpitbed.start(bed, logind={'CanHibernate': 'no', 'CanHybridSleep': 'challenge'})
    cli_caps = json.loads(cli(bed, '--capabilities', '--json').stdout)
    with Session(bed, GUEST, cockpitbed.artifacts_dir('loads')) as page:
        page.open()
        rows = page.js('''return Array.from(document.querySelectorAll("#capabilities-table tbody tr"))
                          .map(r => Array.from(r.cells).map(c => c.textContent));''')
        expected = [[t['name'], 'yes' if t['supported'] else 'no', t['logind'], 'yes' if t['blocked'] else 'no']
                    for t in cli_caps['sleep_targets']['targets']]
        check_equal(rows, expected, 'the capabilities table and hostpm-suspend --capabilities --json')
        alarm = cli_caps['wake_alarm']
        check_equal((page.text('rtc-device'), page.text('rtc-driver')), (alarm['device'], alarm['driver']),
                    'the wake-alarm device')
        check_equal(page.text('rtc-state'), 'ready, wake source enabled', 'the wake alarm\'s state')
        check_equal(page.text('rtc-max'), '7d', 'the longest sleep (max_seconds 604800)')
        check_equal(page.text('limits'), 'A sleep lasts from 2s to 7d.', 'hostpmd\'s limits')
        check_equal(page.text('default-delay'), '1s', 'the default delay')
        check(page.visible('pending-none') and page.visible('last-none') and page.visible('history-none'),
              'nothing pending, nothing finished')
        options = [o.text for o in Select(page.find('target')).options]
        check_equal(options, ['mem', 'disk (not available)', 'hybrid', 'suspend-then-hibernate'],
                    'the targets offered')
        page.screenshot('loaded')
        page.check_no_console_errors()


def schedule(bed):
    '''A member of "hostpm" schedules from the form: polkit (its own rules)
    allows it, the page passed the interactive-authorization flag, the
    timer unit appears, and the page shows the request with a countdown
    that runs.'''
    cockpitbed.start(bed)
    with Session(bed, ADMIN, cockpitbed.artifacts_dir('schedule')) as page:
        page.open()
        fill_form(page, amount=5, unit='minutes', target='mem', delay=120)
        with buscapture.BusCapture(bed) as capture:
            submit(page)
        check(page.visible('schedule-result'), f'scheduled: {page.text("schedule-error")}')
        request_id = re.search('request ([0-9a-f]{32})', page.text('schedule-result')).group(1)

        call = next(m for m in capture.messages() if m.get('member') == 'ScheduleSuspend')
        check_equal(call['payload']['data'][:3], ['mem', 300 * USEC, 120 * USEC], 'the call the page made')
        check(call['flags'] & 0x4, f'the call allows interactive authorization (flag 0x4): {call}')

        testbed.wait_for(lambda: units(bed).get('hostpm-suspend.timer') == 'active', 'the timer unit')
        p = historybed.properties(bed)
        check_equal((p['PendingId'], p['PendingState'], p['PendingRequesterUID']), (request_id, 'scheduled', ADMIN[1]),
                    'pending, as hostpmd says')
        page.wait(lambda: page.visible('pending') and page.text('pending-id') == request_id, 'the page to show it')
        check_equal((page.text('pending-state'), page.text('pending-target'), page.text('pending-requester')),
                    ('scheduled', 'mem', f'UID {ADMIN[1]}'), 'the pending request on the page')
        first = page.text('pending-countdown')
        # 2min at the first whole second, then 1min 59s, ...
        check(re.fullmatch(r'Suspends in (2min|(1min )?\d+s)', first), f'a countdown: {first!r}')
        page.wait(lambda: page.text('pending-countdown') not in (first, ''), 'the countdown to move')
        check(page.find('cancel-button').is_enabled(), 'Cancel is offered')
        page.screenshot('scheduled')
        page.check_no_console_errors()


def cancel(bed):
    '''A request scheduled elsewhere (the CLI) appears on the open page by
    itself (hostpmd's signals); Cancel stops it: the units go, the page
    says nothing is pending.'''
    cockpitbed.start(bed)
    with Session(bed, ADMIN, cockpitbed.artifacts_dir('cancel')) as page:
        page.open()
        request_id = historybed.schedule(bed, '--delay=120s', '10min', user=ADMIN[1])
        page.wait(lambda: page.visible('pending') and page.text('pending-id') == request_id,
                  'the page to show the request scheduled by the CLI')
        page.screenshot('pending')
        page.find('cancel-button').click()
        page.wait(lambda: page.visible('pending-none'), 'the page to show nothing pending')
        testbed.wait_for(lambda: not units(bed), 'the units to go')
        check_equal(historybed.properties(bed)['PendingState'], '', 'nothing pending for hostpmd')
        check(not page.visible('cancel-error'), f'no error: {page.text("cancel-error")}')
        page.screenshot('cancelled')
        page.check_no_console_errors()


def refused_by_polkit(bed):
    '''A user outside group "hostpm" asks: polkit refuses, the page says so
    in words (who decides, what to ask for), and nothing is scheduled.'''
    cockpitbed.start(bed)
    with Session(bed, GUEST, cockpitbed.artifacts_dir('refused-by-polkit')) as page:
        page.open()
        fill_form(page, amount=90, unit='seconds', target='mem')
        submit(page)
        check(page.visible('schedule-error'), 'an error is shown')
        text = page.text('schedule-error')
        check_equal(page.find('schedule-error').get_attribute('data-name'), 'org.hostpm1.Error.NotAuthorized',
                    'hostpmd\'s error')
        check(text.startswith('You are not allowed to do this: ') and 'polkit refused' in text and
              "membership in the 'hostpm' group" in text, f'the refusal in words: {text!r}')
        check_equal(units(bed), {}, 'nothing scheduled')
        check(page.visible('pending-none'), 'nothing pending on the page')
        page.screenshot('refused')
        page.check_no_console_errors()


def refused_locally(bed):
    '''What hostpmd would refuse, the form refuses before calling it, in
    hostpmd's words (a sleep below MinimumDuration=, a target logind does
    not support, a wake time in the past); what it cannot know (another
    request pending) hostpmd refuses, and the page shows hostpmd's own
    message.'''
    cockpitbed.start(bed, logind={'CanHibernate': 'no'})
    with Session(bed, ADMIN, cockpitbed.artifacts_dir('refused-locally')) as page:
        page.open()
        with buscapture.BusCapture(bed) as capture:
            fill_form(page, amount=1, unit='seconds', target='mem')
            submit(page)
            below = page.text('schedule-error')
            page.screenshot('below-minimum')
            fill_form(page, amount=60, unit='seconds', target='disk')
            submit(page)
            unsupported = page.text('schedule-error')
            fill_form(page, target='mem')
            page.find('mode-until').click()
            page.js('arguments[0].value = "2001-01-01T00:00:00"', page.find('wake-time'))
            submit(page)
            past = page.text('schedule-error')
        check_equal(below, 'A sleep of 1s is out of range; expected 2s to 7d (MinimumDuration= and '
                    'MaximumDuration= in hostpm.conf).', 'below the minimum')
        check_equal(unsupported, "This host does not support sleep target 'disk' (logind answered 'no').",
                    'an unsupported target')
        check(past.startswith('Wake time ') and 'is not after the suspend' in past, f'a past wake time: {past!r}')
        calls = [m for m in capture.messages() if m.get('member', '').startswith('ScheduleSuspend')]
        check_equal(calls, [], 'no call reached hostpmd')

        # hostpmd's own refusal: another request is pending
        other = historybed.schedule(bed, '--delay=120s', '10min')
        page.find('mode-duration').click()
        fill_form(page, amount=60, unit='seconds', target='mem')
        page.wait(lambda: page.visible('pending'), 'the pending request')
        submit(page)
        check_equal(page.find('schedule-error').get_attribute('data-name'), 'org.hostpm1.Error.Busy', 'the error')
        text = page.text('schedule-error')
        check(text.startswith(f'A suspend is already pending as request {other}'), f'hostpmd\'s message: {text!r}')
        page.screenshot('busy')
        page.check_no_console_errors()


SEEDED = [  # (asked s, slept s, result): a real host's earlier requests
    (60, 57.25, 'resumed'), (120, 119.5, 'resumed'), (300, 0, 'failed'), (240, 180, 'resumed')]


def seed_history(bed):
    lines = ['{"totals":{"counts":{"mem":{"resumed":3,"failed":1}},"slept_usec":356750000}}']
    for i, (asked, slept, result) in enumerate(SEEDED):
        lines.append(json.dumps({
            'finished_usec': 1700000000000000 + i * 3600 * USEC, 'id': f'{i:032x}', 'target': 'mem',
            'result': result, 'asked_usec': asked * USEC, 'slept_usec': int(slept * USEC),
            'wake_source': 'rtc-alarm' if result == 'resumed' else '', 'suspend_usec': 0, 'resume_usec': 0,
            'requester_uid': 0, 'error': '' if result == 'resumed' else 'the RTC refused an alarm 300 s ahead'}))
    historybed.write_history(bed, '\n'.join(lines) + '\n')


def chart(bed):
    '''After N recorded requests (four a real host left, then two run here
    while the page is open) the chart has N groups, oldest first, and the
    heights of their bars are the times asked and slept on one scale.'''
    seed_history(bed)
    cockpitbed.start(bed)
    with Session(bed, ADMIN, cockpitbed.artifacts_dir('chart')) as page:
        page.open()
        check_equal(len(cycles(page)), len(SEEDED), 'bars of the recorded requests')
        page.screenshot('before')
        for amount in ('2s', '3s'):
            historybed.cycle(bed, amount)
        h = get_history(bed)
        n = len(h['entries'])
        check_equal(n, len(SEEDED) + 2, 'requests in the history')
        page.wait(lambda: len(cycles(page)) == n, 'the page to draw the new requests (no reload)')

        drawn = cycles(page)
        check_equal([c[0] for c in drawn], [e['id'] for e in h['entries']], 'one group per request, oldest first')
        largest = max(max(e['asked_usec'], e['slept_usec']) for e in h['entries'])
        full = max(max(c[1], c[2]) for c in drawn)
        check(full > 50, f'the tallest bar has a height: {full}')
        for (request_id, asked_px, slept_px), e in zip(drawn, h['entries']):
            for what, px, usec in (('asked', asked_px, e['asked_usec']), ('slept', slept_px, e['slept_usec'])):
                want = usec / largest * full
                check(abs(px - want) <= 0.5, f'{request_id}: the {what} bar is {px:.2f} px, expected {want:.2f} '
                      f'({usec / USEC} s of {largest / USEC} s at {full:.2f} px)')
        rows = page.js('return Array.from(document.querySelectorAll("#history-table tbody tr")).map(r => r.dataset.id)')
        check_equal(rows, [e['id'] for e in reversed(h['entries'])], 'the table, newest first')
        check_equal(page.text('last-id'), f'{h["entries"][-1]["id"]} (mem)', 'the last outcome')
        check_equal(page.text('last-result'), 'resumed', 'the last result')
        page.screenshot('after')
        page.check_no_console_errors()


MARKUP = '<img src="x" onerror="console.error(\'injected\')">'


def corrupt_history(bed):
    '''A history with garbage, a line cut off, and markup in an error: the
    page warns how much it could not read, shows the rest, and the markup as
    text (no element made of it, no error).'''
    seed_history(bed)
    with open(historybed.history_path(bed), 'a', encoding='utf-8') as f:
        f.write(json.dumps({'finished_usec': 1700100000000000, 'id': 'e' * 32, 'target': 'disk', 'result': 'failed',
                            'asked_usec': 60 * USEC, 'slept_usec': 0, 'wake_source': '', 'suspend_usec': 0,
                            'resume_usec': 0, 'requester_uid': 0, 'error': MARKUP}) + '\n')
        f.write('garbage\n{"finished_usec": 5, "id": "<b>cut')
    cockpitbed.start(bed)
    with Session(bed, GUEST, cockpitbed.artifacts_dir('corrupt-history')) as page:
        page.open()
        check_equal(page.text('history-warning'), "2 record(s) of hostpmd's history could not be read (corrupt or "
                    'cut off) and are left out.', 'the warning')
        check_equal(len(cycles(page)), len(SEEDED) + 1, 'the readable requests are drawn')
        row = page.js('return document.querySelector("#history-table tbody tr[data-id=\'' + 'e' * 32 + '\']")'
                      '.cells[7].textContent')
        check_equal(row, MARKUP, 'the error, as text')
        check_equal(page.js('return document.querySelectorAll("img").length'), 0, 'no element made of it')
        page.screenshot('corrupt')
        page.check_no_console_errors()


CASES = {
    'loads': loads,
    'schedule': schedule,
    'cancel': cancel,
    'refused-by-polkit': refused_by_polkit,
    'refused-locally': refused_locally,
    'chart': chart,
    'corrupt-history': corrupt_history,
}

if __name__ == '__main__':
    testbed.main(CASES)
