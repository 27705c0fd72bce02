"""Host side of hostpm's real-kernel harness (stdlib only).

Boots the Debian 12 guest made by build-image under QEMU (TCG), carries files
in on a read-only virtio disk and results out on a second one, and records
every QMP event with host timestamps. run-scenario is the command-line front
end; scenario checks may import this module for load_results()/sleeps().
"""

import contextlib
import json
import os
import re
import shlex
import shutil
import subprocess
import tempfile
import time

import cmos
from qmp import QMP, HarnessError  # noqa: F401 (HarnessError: part of this API)

HERE = os.path.dirname(os.path.abspath(__file__))
SCENARIOS = os.path.join(HERE, "scenarios")
# Files run_scenario writes at the top of a results directory (besides guest/).
RESULT_FILES = ("summary.json", "qmp-events.json", "serial.log", "qemu.log", "check.log")
QEMU = os.environ.get("HOSTPM_VM_QEMU", "qemu-system-x86_64")


class Skip(Exception):
    """This machine cannot run the guest (exit 77)."""


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


# --- the guest -------------------------------------------------------------


class Guest:
    """One boot of the guest. Use as a context manager: leaving it always ends QEMU."""

    def __init__(self, artifacts, workdir, logdir, disks=(), memory=1024, smp=2, append="", root=None,
                 no_shutdown=False):
        self.artifacts = artifacts
        # None: the shared root image with snapshot=on (nothing persists);
        # a path: this run's own copy, which keeps what the guest writes
        # from one boot to the next (a hibernated kernel must find its disk
        # as it left it).
        self.root = root
        self.no_shutdown = no_shutdown
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
        self.boots = []  # one entry per QEMU process: start time, its QMP log
        self.t_start = None
        self._serial_pos = 0
        self._serial_text = ""
        self.markers = []  # (t, marker line) from the console
        self.pm_lines = []  # (t, boot, line): "PM: ..." (kernel), "initramfs: ..."

    def command_line(self):
        a = self.artifacts
        # no_timer_check: a vCPU starved by a loaded host fails the kernel's
        # IO-APIC timer check at boot ("IO-APIC + timer doesn't work!", panic).
        cmdline = "console=ttyS0,115200 root=/dev/vda rw panic=1 no_console_suspend no_timer_check " + self.append
        cmd = [
            QEMU, "-accel", "tcg", "-smp", str(self.smp), "-m", str(self.memory),
            # S3 is only offered on q35 with this switch.
            "-machine", "q35", "-global", "ICH9-LPC.disable_s3=0",
            # clock=host: the RTC alarm only fires (and wakes the guest) on the host clock.
            "-rtc", "base=utc,clock=host",
            "-nodefaults", "-display", "none", "-no-reboot",
            # -no-shutdown: a powered-off machine stays, so its CMOS can be read.
        ] + (["-no-shutdown"] if self.no_shutdown else []) + [
            "-S",  # start paused: QMP is connected before the first instruction
            "-kernel", a["HOSTPM_VM_KERNEL"], "-initrd", a["HOSTPM_VM_INITRD"],
            "-append", cmdline.strip(),
            # append: a later boot of the same machine adds to the same log
            "-chardev", "file,id=serial0,path=%s,append=on" % self.serial_log, "-serial", "chardev:serial0",
            "-chardev", "socket,id=qmp,path=%s,server=on,wait=off" % self.qmp_path,
            "-mon", "chardev=qmp,mode=control",
            # The shared root image is never written to (snapshot=on); a run's own copy is.
            "-drive", ("file=%s,format=raw,if=virtio,snapshot=on" % a["HOSTPM_VM_ROOTFS"]) if self.root is None
            else ("file=%s,format=raw,if=virtio" % self.root),
        ]
        for path, readonly in self.disks:
            cmd += ["-drive", "file=%s,format=raw,if=virtio%s" % (path, ",readonly=on" if readonly else "")]
        return cmd

    def start(self):
        if shutil.which(QEMU) is None:
            raise Skip("%s is not installed" % QEMU)
        first = self.t_start is None
        if first:
            open(self.serial_log, "w").close()
        with open(self.qemu_log, "w" if first else "a") as log:
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
        if first:
            self.t_start = time.monotonic()
        # One clock for every boot: t counts from the first boot's start.
        self.qmp.t0 = self.t_start
        self.boots.append({"boot": len(self.boots) + 1, "qmp": self.qmp, "command": self.command_line(),
                           "start_t": round(self.elapsed(), 3), "start_time": time.time()})
        self.qmp.command("cont")

    def power_on(self):
        """Power the machine on again: end this QEMU and start a new one with
        the same command line on the same disks (the way a hibernated
        machine comes back; a reset of the same process also resumes, but
        took minutes)."""
        self.stop()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.qmp_path)
        self.start()

    def events(self):
        """QMP events of the current boot."""
        return [ev["event"] for ev in self.qmp.log()["events"]] if self.qmp else []

    def in_s4(self):
        """The guest wrote its image and powered off in S4 (QMP SUSPEND_DISK,
        then SHUTDOWN), and the machine is kept (-no-shutdown)."""
        ev = self.events()
        return self.no_shutdown and "SUSPEND_DISK" in ev and "SHUTDOWN" in ev[ev.index("SUSPEND_DISK"):]

    def powered_off(self):
        """Exited, or (-no-shutdown) shut down in any other way than S4."""
        return not self.running() or (self.no_shutdown and "SHUTDOWN" in self.events() and not self.in_s4())

    def qmp_log(self):
        """Every boot's QMP events and commands, each tagged with its boot."""
        out = {"greeting": None, "events": [], "commands": [], "boots": []}
        for b in self.boots:
            log = b["qmp"].log()
            out["greeting"] = out["greeting"] or log["greeting"]
            out["events"] += [dict(ev, boot=b["boot"]) for ev in log["events"]]
            out["commands"] += [dict(c, boot=b["boot"]) for c in log["commands"]]
            out["boots"].append({k: v for k, v in b.items() if k != "qmp"})
        return out

    def elapsed(self):
        return time.monotonic() - self.t_start

    def poll_serial(self):
        """Read new console output; record HOSTPM-VM-* markers, and the kernel's
        and the initramfs's power-management lines, with their time."""
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
            m = re.search(r"\b(PM: .*|initramfs: .*)", line)
            if m:
                self.pm_lines.append((round(self.elapsed(), 3), len(self.boots), m.group(1).strip()))
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


def scenario_options(script):
    """What a scenario asks of the machine, from a `# vm-options:` line in its
    script: `swap=MIB` (a swap disk, mkswap'd, not enabled) and `hibernate`
    (the root disk is this run's copy, and after S4 the machine is powered on
    again when its RTC alarm fires)."""
    options = {}
    with open(script, errors="replace") as f:
        for line in f:
            m = re.match(r"#\s*vm-options:(.*)", line)
            for word in (m.group(1).split() if m else ()):
                key, _, value = word.partition("=")
                if key not in ("swap", "hibernate") or (key == "swap") != value.isdigit():
                    raise HarnessError("%s: unknown vm-option %r (swap=MIB, hibernate)" % (script, word))
                options[key] = value
    return options


def make_swap_disk(image, size_mib):
    """A sparse swap disk (label hostpm-swap); the guest decides when to swapon."""
    with open(image, "wb") as f:
        f.truncate(size_mib * 1024 * 1024)
    _run(["mkswap", "-L", "hostpm-swap", image], "mkswap")
    return image


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

    options = scenario_options(script)
    summary["options"] = options
    with _workdir() as work:
        stage = os.path.join(work, "payload")
        _stage_payload(stage, script, payload, install, env)
        payload_img = os.path.join(work, "payload.img")
        results_img = os.path.join(work, "results.img")
        make_payload_disk(stage, payload_img)
        make_results_disk(results_img)
        disks = [(payload_img, True), (results_img, False)]
        if "swap" in options:
            disks.append((make_swap_disk(os.path.join(work, "swap.img"), int(options["swap"])), False))
        root = None
        if "hibernate" in options:
            # cp, not a reflink or an overlay: plain and fast enough (~2 s, sparse)
            root = os.path.join(work, "rootfs.img")
            _run(["cp", "--sparse=always", artifacts["HOSTPM_VM_ROOTFS"], root], "copying the root image")

        guest = Guest(artifacts, work, results, disks=disks, memory=memory, smp=smp, root=root,
                      no_shutdown="hibernate" in options)
        summary["qemu_command"] = guest.command_line()
        outcome = "timeout"
        try:
            with guest:
                guest.start()
                outcome = _run_guest(guest, timeout, console, poweroff_grace, summary)
                guest.poll_serial()
        finally:
            qmp_log = guest.qmp_log()
            summary["outcome"] = outcome
            summary["wall_seconds"] = round(time.monotonic() - t_wall, 1)
            summary["markers"] = guest.markers
            summary["console_pm"] = guest.pm_lines
            summary["boots"] = qmp_log["boots"]
            with open(os.path.join(results, "qmp-events.json"), "w") as f:
                json.dump(qmp_log, f, indent=1)
                f.write("\n")

        if outcome == "timeout":
            problems.append("timed out after %.0f s" % timeout)
        if outcome == "no wake from S4":
            problems.append("the guest is in S4 but its RTC alarm never fired (see summary.json's s4_wakes)")
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


def _run_guest(guest, timeout, console, poweroff_grace, summary):
    """Follow the guest until it is done, playing the platform's part of a
    wake from S4 (cmos.py). Returns how the run ended."""
    done_at = None
    while guest.elapsed() < timeout:
        text = guest.poll_serial()
        if console is not None and text:
            console.write(text)
            console.flush()
        if guest.in_s4():
            rec = cmos.wait_for_alarm(guest.qmp, time.monotonic() + timeout - guest.elapsed())
            rec["boot"] = len(guest.boots)
            summary.setdefault("s4_wakes", []).append(rec)
            if not rec["fired"]:
                return "no wake from S4"
            guest.power_on()
            continue
        if guest.powered_off():
            return "exited"
        if done_at is None and guest.marker("DONE"):
            done_at = time.monotonic()
        # After a suspend the guest's S5 fails (the kernel then panics and
        # QEMU exits ~12 s later): once the results disk is written and
        # unmounted, give it a moment, then quit.
        if done_at is not None and time.monotonic() - done_at > poweroff_grace:
            return "done, no poweroff"
        time.sleep(0.2)
    return "timeout"


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
