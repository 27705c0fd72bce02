'''A capture of the bed's bus, for tests about message order.

`busctl monitor --json=short` becomes a D-Bus monitor (BecomeMonitor) and
prints every message as one JSON object per line. To know when it is really
listening, and when it has printed everything, the capture does not wait a
guessed time: it sends marker signals until it sees one come back. So the
capture holds every message sent between start() returning and stop() being
called.
'''

import json
import secrets

import dbus

import testbed

MARKER_PATH = '/org/hostpm/TestBed'
MARKER_IFACE = 'org.hostpm.TestBed'
MARKER_MEMBER = 'CaptureMarker'


class BusCapture:
    def __init__(self, bed, name='bus-capture'):
        self.bed = bed
        self.name = name
        self.process = None
        self._start_token = self._stop_token = None

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *_exc):
        self.stop()

    def start(self):
        self.process = self.bed.spawn(
            self.name, ['busctl', '--user', 'monitor', '--json=short'])
        self._start_token = self._sync('start')

    def stop(self):
        self._stop_token = self._sync('stop')
        self.process.popen.terminate()
        self.process.popen.wait()

    def _raw(self):
        messages = []
        with open(self.process.log_path, encoding='utf-8') as f:
            for line in f:
                if line.startswith('{'):  # busctl also prints notices
                    messages.append(json.loads(line))
        return messages

    @staticmethod
    def _token_of(message):
        if message.get('member') != MARKER_MEMBER:
            return None
        return message['payload']['data'][0]

    def _sync(self, label):
        token = f'{label}-{secrets.token_hex(4)}'

        def seen():
            signal = dbus.lowlevel.SignalMessage(MARKER_PATH, MARKER_IFACE, MARKER_MEMBER)
            signal.append(token, signature='s')
            self.bed.bus.send_message(signal)
            self.bed.bus.flush()
            if not self.process.alive():
                raise testbed.BedError('busctl monitor exited; see its log')
            return any(self._token_of(m) == token for m in self._raw())

        testbed.wait_for(seen, f'the bus capture to see its {label} marker', interval=0.02)
        return token

    def messages(self):
        '''The messages between the start and stop markers, markers left out.'''
        raw = self._raw()
        tokens = [self._token_of(m) for m in raw]
        first = tokens.index(self._start_token)
        last = tokens.index(self._stop_token)
        return [m for m in raw[first:last] if self._token_of(m) is None]


def check_asked_concurrently(messages, destinations, methods):
    '''One client sent every call in `methods` to one of `destinations` (a
    service's names: well-known and unique) before any of them was
    answered. Returns the client's unique name; raises AssertionError with
    the message sequence otherwise.'''
    calls = [(i, m) for i, m in enumerate(messages)
             if m['type'] == 'method_call' and m.get('destination') in destinations
             and m.get('member') in methods]

    def sequence():
        return '\n'.join(f'  {i:3} {m["type"]:13} {m.get("sender", "")} -> {m.get("destination", "")} '
                         f'{m.get("member", "")} cookie={m.get("cookie")} '
                         f'reply_cookie={m.get("reply_cookie", "")}'
                         for i, m in enumerate(messages))

    asked = sorted(m['member'] for _i, m in calls)
    if asked != sorted(methods):
        raise AssertionError(f'expected one call each of {sorted(methods)} to {destinations}, '
                             f'got {asked}; messages:\n{sequence()}')
    clients = {m['sender'] for _i, m in calls}
    if len(clients) != 1:
        raise AssertionError(f'the calls came from several clients {sorted(clients)}')
    client = clients.pop()
    cookies = {m['cookie'] for _i, m in calls}
    answers = [i for i, m in enumerate(messages)
               if m['type'] in ('method_return', 'error') and m.get('destination') == client
               and m.get('reply_cookie') in cookies]
    if len(answers) != len(methods):
        raise AssertionError(f'expected {len(methods)} answers to {client}, got {len(answers)}; '
                             f'messages:\n{sequence()}')
    last_call = max(i for i, _m in calls)
    if last_call > min(answers):
        raise AssertionError(f'{client} did not ask concurrently: message {min(answers)} answers '
                             f'a call before it sent its last call (message {last_call}); '
                             f'messages:\n{sequence()}')
    return client
