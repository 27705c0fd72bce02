"""Minimal QMP client for the VM harness (stdlib only): every event
timestamped on arrival, every command and its reply logged."""

import json
import queue
import socket
import threading
import time


class HarnessError(Exception):
    """The harness itself failed (as opposed to the scenario). hostpmvm
    re-exports it: a QMP failure is one."""


class QMP:
    """Minimal QMP client. A reader thread timestamps every event on arrival;
    commands and their replies are logged too, so a check can prove what the
    host did (for instance that it never sent system_wakeup)."""

    def __init__(self, path, proc, timeout=30.0):
        self.events = []
        self.commands = []
        self.t0 = time.monotonic()  # reset by the caller when the guest starts
        self._replies = queue.Queue()
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self.sock = self._connect(path, proc, timeout)
        self._buf = b""
        self.greeting = self._read_message(timeout)
        self._reader = threading.Thread(target=self._read_loop, name="qmp-reader", daemon=True)
        self._reader.start()
        self.command("qmp_capabilities")

    @staticmethod
    def _connect(path, proc, timeout):
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise HarnessError("QEMU exited (status %s) before its QMP socket was up" % proc.returncode)
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                sock.connect(path)
                return sock
            except OSError:
                sock.close()
                if time.monotonic() > deadline:
                    raise HarnessError("no QMP socket at %s after %.0f s" % (path, timeout))
                time.sleep(0.05)

    def _read_message(self, timeout=None):
        self.sock.settimeout(timeout)
        while b"\n" not in self._buf:
            data = self.sock.recv(65536)
            if not data:
                return None
            self._buf += data
        line, self._buf = self._buf.split(b"\n", 1)
        return json.loads(line) if line.strip() else self._read_message(timeout)

    def _read_loop(self):
        try:
            while True:
                msg = self._read_message(None)
                if msg is None:
                    break
                if "event" in msg:
                    ts = msg.get("timestamp", {})
                    record = {
                        "event": msg["event"],
                        "data": msg.get("data", {}),
                        # QEMU's own (host wall clock) stamp: the precise one.
                        "qemu_time": ts.get("seconds", 0) + ts.get("microseconds", 0) / 1e6,
                        "host_time": time.time(),
                        "t": round(time.monotonic() - self.t0, 3),
                    }
                    with self._cond:
                        self.events.append(record)
                        self._cond.notify_all()
                else:
                    self._replies.put(msg)
        except (OSError, ValueError):
            pass
        self._replies.put(None)  # wakes a waiting command(): connection gone

    def command(self, name, arguments=None, timeout=10.0):
        msg = {"execute": name}
        if arguments:
            msg["arguments"] = arguments
        entry = {"command": name, "arguments": arguments or {}, "host_time": time.time(),
                 "t": round(time.monotonic() - self.t0, 3)}
        self.commands.append(entry)
        self.sock.sendall(json.dumps(msg).encode() + b"\n")
        try:
            reply = self._replies.get(timeout=timeout)
        except queue.Empty:
            raise HarnessError("no QMP reply to %s within %.0f s" % (name, timeout))
        if reply is None:
            raise HarnessError("QMP connection closed during %s" % name)
        entry["reply"] = reply
        if "error" in reply:
            raise HarnessError("QMP %s: %s" % (name, reply["error"]))
        return reply.get("return")

    def close(self):
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        self._reader.join(timeout=5)

    def log(self):
        with self._lock:
            return {"greeting": self.greeting, "events": list(self.events), "commands": list(self.commands)}
