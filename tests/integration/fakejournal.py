'''A stand-in for systemd-journald inside the test bed.

The bed has no journald, so without this the user manager would send the
stdout/stderr of every unit it starts (dbus-daemon, and later hostpmd and
hostpm-sleep) to /dev/null, and the entries hostpm writes with
sd_journal_send() would be lost. This listens where journald would, under
the bed's private /run/systemd/journal:

  stdout  the stream protocol systemd uses for StandardOutput=journal: a
          7-line header (identifier, unit, priority, level prefix, 3 forward
          flags), then log lines, optionally with <N> priority prefixes;
  socket  the native datagram protocol of sd_journal_send(): KEY=VALUE
          lines, or KEY\\n + 64-bit little-endian length + binary value;
          large entries arrive as a sealed memfd instead.

Every entry becomes a dict of strings (the sender's fields plus _TRANSPORT,
_PID where known, and _SYSTEMD_UNIT found from the sender's cgroup as
journald does; a process that is already gone has none), kept in memory
for the tests and written one line each to a human-readable log.
'''

import os
import re
import selectors
import socket
import struct
import threading
import time

_LEVEL_PREFIX = re.compile(rb'^<([0-7])>')
_UCRED = struct.Struct('iII')  # pid, uid, gid


def unit_of(pid):
    '''The unit a process runs in, from its cgroup, as journald finds it
    (None if the process is gone already).'''
    try:
        with open(f'/proc/{pid}/cgroup', encoding='utf-8') as f:
            path = next(line.strip()[3:] for line in f if line.startswith('0::'))
    except (OSError, StopIteration):
        return None
    name = path.rsplit('/', 1)[-1]
    return name if name.endswith(('.service', '.scope')) else None


def parse_native(data):
    '''Fields of one native-protocol entry; a repeated field keeps its last value.'''
    fields = {}
    i = 0
    while i < len(data):
        nl = data.find(b'\n', i)
        if nl < 0:
            break
        line = data[i:nl]
        if b'=' in line:
            key, value = line.split(b'=', 1)
            i = nl + 1
        else:
            key = line
            (size,) = struct.unpack_from('<Q', data, nl + 1)
            value = data[nl + 9:nl + 9 + size]
            i = nl + 9 + size + 1
        fields[key.decode('utf-8', 'replace')] = value.decode('utf-8', 'replace')
    return fields


class _Stream:
    '''One StandardOutput=journal connection.'''

    def __init__(self, sock, unit):
        self.sock = sock
        self.unit = unit  # a user manager leaves the header's unit empty
        self.buffer = b''
        self.header_lines = []
        self.header = None

    def lines(self, data):
        self.buffer += data
        *complete, self.buffer = self.buffer.split(b'\n')
        for line in complete:
            if self.header is None:
                self.header_lines.append(line)
                if len(self.header_lines) == 7:
                    h = self.header_lines
                    self.header = {'identifier': h[0].decode(errors='replace'),
                                   'unit': h[1].decode(errors='replace'),
                                   'priority': h[2].decode(errors='replace'),
                                   'level_prefix': h[3] == b'1'}
                continue
            yield line

    def entry(self, line):
        priority = self.header['priority']
        if self.header['level_prefix']:
            m = _LEVEL_PREFIX.match(line)
            if m:
                priority = m.group(1).decode()
                line = line[m.end():]
        return {'_TRANSPORT': 'stdout',
                'SYSLOG_IDENTIFIER': self.header['identifier'],
                '_SYSTEMD_UNIT': self.header['unit'] or self.unit or '',
                'PRIORITY': priority,
                'MESSAGE': line.decode('utf-8', 'replace')}


class FakeJournal:
    def __init__(self, directory, log_path):
        os.makedirs(directory, exist_ok=True)
        self.entries = []
        self._lock = threading.Lock()
        self._log = open(log_path, 'a', encoding='utf-8')  # pylint: disable=consider-using-with

        self._native = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._native.bind(os.path.join(directory, 'socket'))
        self._native.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        self._stdout = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._stdout.bind(os.path.join(directory, 'stdout'))
        self._stdout.listen(64)
        self._streams = {}
        self._wake_r, self._wake_w = os.pipe()

        self._selector = selectors.DefaultSelector()
        self._selector.register(self._native, selectors.EVENT_READ, self._read_native)
        self._selector.register(self._stdout, selectors.EVENT_READ, self._accept)
        self._selector.register(self._wake_r, selectors.EVENT_READ, None)
        self._thread = threading.Thread(target=self._loop, name='fake-journal', daemon=True)
        self._thread.start()

    def find(self, **match):
        '''Entries whose fields equal every key=value given.'''
        with self._lock:
            return [e for e in self.entries if all(e.get(k) == v for k, v in match.items())]

    def close(self):
        os.write(self._wake_w, b'x')
        self._thread.join(timeout=5)
        for s in (self._native, self._stdout):
            s.close()
        os.close(self._wake_r)
        os.close(self._wake_w)
        self._log.close()

    def _add(self, entry):
        with self._lock:
            self.entries.append(entry)
        who = entry.get('SYSLOG_IDENTIFIER') or entry.get('_SYSTEMD_UNIT') or '?'
        pid = entry.get('_PID') or entry.get('SYSLOG_PID')
        unit = entry.get('_SYSTEMD_UNIT') or entry.get('UNIT') or entry.get('USER_UNIT')
        line = (f'{time.strftime("%H:%M:%S")} {who}{f"[{pid}]" if pid else ""}'
                f'{f" ({unit})" if unit and unit != who else ""}: {entry.get("MESSAGE", "")}')
        self._log.write(line + '\n')
        self._log.flush()

    def _loop(self):
        while True:
            for key, _events in self._selector.select():
                if key.data is None:
                    return
                key.data(key.fileobj)

    def _accept(self, listener):
        conn, _ = listener.accept()
        self._selector.register(conn, selectors.EVENT_READ, self._read_stream)
        pid, _uid, _gid = _UCRED.unpack(conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED,
                                                        _UCRED.size))
        self._streams[conn] = _Stream(conn, unit_of(pid))

    def _read_stream(self, conn):
        stream = self._streams[conn]
        data = conn.recv(65536)
        if not data:
            if stream.buffer and stream.header:
                self._add(stream.entry(stream.buffer))
            self._selector.unregister(conn)
            del self._streams[conn]
            conn.close()
            return
        for line in stream.lines(data):
            self._add(stream.entry(line))

    def _read_native(self, sock):
        ancillary = socket.CMSG_SPACE(_UCRED.size) + socket.CMSG_SPACE(4 * 4)
        data, ancdata, _flags, _addr = sock.recvmsg(1 << 20, ancillary)
        pid = None
        for level, kind, payload in ancdata:
            if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                pid = _UCRED.unpack_from(payload)[0]
            elif level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                for fd in struct.unpack(f'{len(payload) // 4}i', payload[:len(payload) // 4 * 4]):
                    # an entry too large for a datagram comes as a memfd
                    with os.fdopen(fd, 'rb') as f:
                        data = f.read()
        entry = parse_native(data)
        entry['_TRANSPORT'] = 'journal'
        if pid is not None:
            entry['_PID'] = str(pid)
            unit = unit_of(pid)
            if unit:
                entry['_SYSTEMD_UNIT'] = unit
        self._add(entry)
