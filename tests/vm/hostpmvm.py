"""Host side of hostpm's real-kernel harness (stdlib only).

Boots the Debian 12 guest made by build-image under QEMU (TCG), carries files
in on a read-only virtio disk and results out on a second one, and records
every QMP event with host timestamps. run-scenario is the command-line front
end; scenario checks may import this module for load_results()/sleeps().
"""

import contextlib
import json
import os
import queue
import re
import shlex
import shutil
import socket
import subprocess
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SCENARIOS = os.path.join(HERE, "scenarios")
# Files run_scenario writes at the top of a results directory (besides guest/).
RESULT_FILES = ("summary.json", "qmp-events.json", "serial.log", "qemu.log", "check.log")
QEMU = os.environ.get("HOSTPM_VM_QEMU", "qemu-system-x86_64")


class Skip(Exception):
    """This machine cannot run the guest (exit 77)."""


class HarnessError(Exception):
    """The harness itself failed (as opposed to the scenario)."""


# --- image ---------------------------------------------------------------


def build_image(rebuild=False):
    """Run build-image (a cache hit takes well under a second); return its artifacts."""
    cmd = [os.path.join(HERE, "build-image")] + (["--rebuild"] if rebuild else [])
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True)
    if proc.returncode == 77:
        raise Skip("build-image cannot build the guest image on this machine")
    if proc.returncode != 0:
        raise HarnessError("build-image failed (exit %d)" % proc.returncode)
    artifacts = dict(line.split("=", 1) for line in proc.stdout.splitlines() if "=" in line)
    for key in ("HOSTPM_VM_KERNEL", "HOSTPM_VM_INITRD", "HOSTPM_VM_ROOTFS"):
        if not os.path.isfile(artifacts.get(key, "")):
            raise HarnessError("build-image gave no usable %s" % key)
    return artifacts


def _run(cmd, what):
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if proc.returncode != 0:
        raise HarnessError("%s failed (exit %d): %s" % (what, proc.returncode, proc.stdout.strip()))
    return proc.stdout


def _tree_bytes(path):
    total = 0
    for root, dirs, files in os.walk(path):
        for name in dirs + files:
            total += os.lstat(os.path.join(root, name)).st_size + 4096
    return total


def make_payload_disk(stage, image):
    """Read-only payload disk: an ext4 image of the directory `stage`, label hostpm-payload."""
    size_kib = (_tree_bytes(stage) * 3 // 2) // 1024 + 16 * 1024
    _run(["mkfs.ext4", "-q", "-L", "hostpm-payload", "-O", "^has_journal", "-d", stage,
          image, "%dk" % size_kib], "mkfs.ext4 (payload)")


def make_results_disk(image, size_mib=64):
    """Empty ext4 results disk, label hostpm-results; the guest mounts it read-write."""
    _run(["mkfs.ext4", "-q", "-L", "hostpm-results", image, "%dM" % size_mib],
         "mkfs.ext4 (results)")


def read_results_disk(image, dest):
    """Copy the results disk's files to `dest`. Works even if the guest never
    unmounted it: e2fsck replays the journal first (on the host's copy only)."""
    fsck = subprocess.run(["e2fsck", "-fy", image], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True)
    if fsck.returncode not in (0, 1):  # 1 = errors corrected
        raise HarnessError("e2fsck of the results disk: exit %d\n%s" % (fsck.returncode, fsck.stdout))
    os.makedirs(dest, exist_ok=True)
    _run(["debugfs", "-R", 'rdump / "%s"' % dest, image], "debugfs rdump")
    shutil.rmtree(os.path.join(dest, "lost+found"), ignore_errors=True)


# --- QMP -----------------------------------------------------------------


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


# --- the guest -------------------------------------------------------------


class Guest:
    """One boot of the guest. Use as a context manager: leaving it always ends QEMU."""

    def __init__(self, artifacts, workdir, logdir, disks=(), memory=1024, smp=2, append=""):
        self.artifacts = artifacts
        self.workdir = workdir
        self.serial_log = os.path.join(logdir, "serial.log")
        self.qemu_log = os.path.join(logdir, "qemu.log")
        self.qmp_path = os.path.join(workdir, "qmp.sock")
        self.disks = list(disks)  # (path, readonly)
        self.memory = memory
        self.smp = smp
        self.append = append
        self.proc = None
        self.qmp = None
        self.t_start = None
        self._serial_pos = 0
        self._serial_text = ""
        self.markers = []  # (t, marker line) from the console

    def command_line(self):
        a = self.artifacts
        cmdline = "console=ttyS0,115200 root=/dev/vda rw panic=1 no_console_suspend " + self.append
        cmd = [
            QEMU, "-accel", "tcg", "-smp", str(self.smp), "-m", str(self.memory),
            # S3 is only offered on q35 with this switch.
            "-machine", "q35", "-global", "ICH9-LPC.disable_s3=0",
            # clock=host: the RTC alarm only fires (and wakes the guest) on the host clock.
            "-rtc", "base=utc,clock=host",
            "-nodefaults", "-display", "none", "-no-reboot",
            "-S",  # start paused: QMP is connected before the first instruction
            "-kernel", a["HOSTPM_VM_KERNEL"], "-initrd", a["HOSTPM_VM_INITRD"],
            "-append", cmdline.strip(),
            "-chardev", "file,id=serial0,path=%s" % self.serial_log, "-serial", "chardev:serial0",
            "-chardev", "socket,id=qmp,path=%s,server=on,wait=off" % self.qmp_path,
            "-mon", "chardev=qmp,mode=control",
            # The root image is shared by every run: never write to it.
            "-drive", "file=%s,format=raw,if=virtio,snapshot=on" % a["HOSTPM_VM_ROOTFS"],
        ]
        for path, readonly in self.disks:
            cmd += ["-drive", "file=%s,format=raw,if=virtio%s" % (path, ",readonly=on" if readonly else "")]
        return cmd

    def start(self):
        if shutil.which(QEMU) is None:
            raise Skip("%s is not installed" % QEMU)
        open(self.serial_log, "w").close()
        with open(self.qemu_log, "w") as log:
            # QEMU gets SIGKILL if the harness dies without cleaning up (even
            # kill -9), so no QEMU outlives it; setpriv sets that and execs
            # QEMU (no Python runs between fork and exec)
            self.proc = subprocess.Popen(["setpriv", "--pdeathsig", "KILL", "--", *self.command_line()],
                                         stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        try:
            self.qmp = QMP(self.qmp_path, self.proc)
        except HarnessError as e:
            with open(self.qemu_log, errors="replace") as f:
                raise HarnessError("%s\n%s" % (e, f.read().strip())) from None
        self.t_start = self.qmp.t0 = time.monotonic()
        self.qmp.command("cont")

    def elapsed(self):
        return time.monotonic() - self.t_start

    def poll_serial(self):
        """Read new console output; record HOSTPM-VM-* markers with their time."""
        with open(self.serial_log, "rb") as f:
            f.seek(self._serial_pos)
            new = f.read()
        self._serial_pos += len(new)
        text = new.decode("utf-8", "replace")
        self._serial_text += text
        # Only complete lines count; keep the tail for the next call.
        *lines, self._serial_text = self._serial_text.split("\n")
        for line in lines:
            m = re.search(r"HOSTPM-VM-(\S.*)", line)
            if m:
                self.markers.append((round(self.elapsed(), 3), m.group(1).strip()))
        return text

    def marker(self, prefix):
        for t, text in self.markers:
            if text.startswith(prefix):
                return t, text
        return None

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, grace=10.0):
        """End QEMU whatever state it is in: QMP quit, then SIGKILL. Idempotent."""
        if self.proc is None:
            return
        if self.proc.poll() is None and self.qmp is not None:
            try:
                self.qmp.command("quit", timeout=5)
            except (HarnessError, OSError):
                pass
        try:
            self.proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if self.qmp is not None:
            self.qmp.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        return False


# --- scenarios -------------------------------------------------------------


def scenario_files(name):
    """(guest script, host check or None) for a scenario name or a path to its .sh."""
    if os.sep in name or name.endswith(".sh"):
        script = os.path.abspath(name)
    else:
        script = os.path.join(SCENARIOS, name + ".sh")
    if not os.path.isfile(script):
        raise HarnessError("no scenario script %s" % script)
    check = re.sub(r"\.sh$", "", script) + ".check"
    return script, (check if os.path.isfile(check) else None)


def _stage_payload(stage, script, payload=None, install=None, env=None):
    # guest/ holds guest-run and what scenarios may source (hostpm-lib.sh).
    shutil.copytree(os.path.join(HERE, "guest"), os.path.join(stage, "harness"))
    shutil.copy(script, os.path.join(stage, "scenario"))
    for f in ("harness/guest-run", "scenario"):
        os.chmod(os.path.join(stage, f), 0o755)
    with open(os.path.join(stage, "env"), "w") as f:
        for key, value in (env or {}).items():
            f.write("%s=%s\n" % (key, shlex.quote(value)))
    if payload:
        shutil.copytree(payload, os.path.join(stage, "files"), symlinks=True)
    if install:
        shutil.copytree(install, os.path.join(stage, "tree"), symlinks=True)


def sleeps(events):
    """Pair each SUSPEND with the WAKEUP after it: [{suspend, wakeup, seconds}]."""
    out, pending = [], None
    for ev in events:
        if ev["event"] == "SUSPEND":
            pending = ev
        elif ev["event"] == "WAKEUP" and pending is not None:
            out.append({"suspend_t": pending["t"], "wakeup_t": ev["t"],
                        "seconds": round(ev["qemu_time"] - pending["qemu_time"], 3)})
            pending = None
    return out


def load_results(results):
    """What a scenario check needs: summary, QMP log, and the guest's files dir."""
    with open(os.path.join(results, "summary.json")) as f:
        summary = json.load(f)
    with open(os.path.join(results, "qmp-events.json")) as f:
        qmp = json.load(f)
    return summary, qmp, os.path.join(results, "guest")


def run_scenario(name, results, payload=None, install=None, env=None, timeout=300.0,
                 memory=1024, smp=2, console=None, rebuild_image=False, poweroff_grace=3.0):
    """Boot the guest once, run scenario `name` in it, collect everything into
    `results` (None: a new directory under /tmp). Returns the summary dict
    (summary["ok"] is the verdict); raises Skip if the machine cannot run it."""
    script, check = scenario_files(name)
    env = dict(env or {})
    artifacts = build_image(rebuild=rebuild_image)
    if shutil.which(QEMU) is None:
        raise Skip("%s is not installed" % QEMU)
    if results is None:
        results = tempfile.mkdtemp(prefix="hostpm-vm-results-")
    os.makedirs(results, exist_ok=True)
    # A reused results directory must not mix in an earlier run's files
    # (debugfs rdump does not overwrite existing ones).
    shutil.rmtree(os.path.join(results, "guest"), ignore_errors=True)
    for stale in RESULT_FILES:
        if os.path.exists(os.path.join(results, stale)):
            os.unlink(os.path.join(results, stale))
    summary = {"scenario": name, "results": results, "script": script, "check": check, "env": env,
               "image": artifacts, "ok": False, "problems": []}
    problems = summary["problems"]
    t_wall = time.monotonic()

    with _workdir() as work:
        stage = os.path.join(work, "payload")
        _stage_payload(stage, script, payload, install, env)
        payload_img = os.path.join(work, "payload.img")
        results_img = os.path.join(work, "results.img")
        make_payload_disk(stage, payload_img)
        make_results_disk(results_img)

        guest = Guest(artifacts, work, results, disks=[(payload_img, True), (results_img, False)],
                      memory=memory, smp=smp)
        summary["qemu_command"] = guest.command_line()
        outcome = "timeout"
        try:
            with guest:
                guest.start()
                done_at = None
                while guest.elapsed() < timeout:
                    text = guest.poll_serial()
                    if console is not None and text:
                        console.write(text)
                        console.flush()
                    if not guest.running():
                        outcome = "exited"
                        break
                    if done_at is None and guest.marker("DONE"):
                        done_at = time.monotonic()
                    # After a suspend the guest's S5 fails (the kernel then panics and
                    # QEMU exits ~12 s later): once the results disk is written and
                    # unmounted, give it a moment, then quit.
                    if done_at is not None and time.monotonic() - done_at > poweroff_grace:
                        outcome = "done, no poweroff"
                        break
                    time.sleep(0.2)
                guest.poll_serial()
        finally:
            qmp_log = guest.qmp.log() if guest.qmp else {"events": [], "commands": []}
            summary["outcome"] = outcome
            summary["wall_seconds"] = round(time.monotonic() - t_wall, 1)
            summary["markers"] = guest.markers
            with open(os.path.join(results, "qmp-events.json"), "w") as f:
                json.dump(qmp_log, f, indent=1)
                f.write("\n")

        if outcome == "timeout":
            problems.append("timed out after %.0f s" % timeout)
        ready, done = guest.marker("READY"), guest.marker("DONE")
        summary["boot_seconds"] = ready[0] if ready else None
        summary["scenario_seconds"] = round(done[0] - ready[0], 1) if ready and done else None
        # Emulated time stretches with host load: keep it next to the timings.
        summary["host_loadavg"] = [round(x, 2) for x in os.getloadavg()]
        summary["qemu_exit"] = guest.proc.returncode if guest.proc else None
        summary["guest_powered_off"] = outcome == "exited"
        summary["qmp_events"] = [ev["event"] for ev in qmp_log["events"]]
        summary["sleeps"] = sleeps(qmp_log["events"])
        if any(c["command"] == "system_wakeup" for c in qmp_log["commands"]):
            problems.append("the host sent system_wakeup")
        if "GUEST_PANICKED" in summary["qmp_events"]:
            problems.append("guest kernel panicked")

        if not done:
            problems.append("the guest never reported DONE (see serial.log)")
        else:
            m = re.match(r"DONE rc=(\d+)", done[1])
            summary["guest_exit"] = int(m.group(1)) if m else None
            if summary["guest_exit"] != 0:
                problems.append("the guest scenario failed (rc=%s, see guest/scenario.log)" % summary["guest_exit"])
        try:
            read_results_disk(results_img, os.path.join(results, "guest"))
        except HarnessError as e:
            problems.append(str(e))

    _write_summary(results, summary)
    if check and done:
        proc = subprocess.run([check, results], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, env=dict(os.environ, **env))
        with open(os.path.join(results, "check.log"), "w") as f:
            f.write(proc.stdout)
        summary["check_exit"] = proc.returncode
        summary["check_output"] = proc.stdout
        if proc.returncode != 0:
            problems.append("host check %s failed (exit %d)" % (os.path.basename(check), proc.returncode))
    summary["ok"] = not problems
    _write_summary(results, summary)
    return summary


@contextlib.contextmanager
def _workdir():
    """Scratch directory for the disks and the QMP socket. Removes those left by
    runs that were killed outright (their pid file names a dead process)."""
    tmp = tempfile.gettempdir()
    for name in os.listdir(tmp):
        old = os.path.join(tmp, name)
        if not name.startswith("hostpm-vm-work-"):
            continue
        try:
            with open(os.path.join(old, "pid")) as f:
                os.kill(int(f.read()), 0)
        except ProcessLookupError:
            shutil.rmtree(old, ignore_errors=True)
        except (OSError, ValueError):
            pass
    work = tempfile.mkdtemp(prefix="hostpm-vm-work-")
    try:
        with open(os.path.join(work, "pid"), "w") as f:
            f.write(str(os.getpid()))
        yield work
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _write_summary(results, summary):
    with open(os.path.join(results, "summary.json"), "w") as f:
        json.dump(summary, f, indent=1)
        f.write("\n")
