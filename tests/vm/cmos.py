"""The emulated CMOS RTC, read through QEMU's monitor, and the platform's
part of a wake from S4 (stdlib only; hostpmvm.py uses it).

QEMU does not power a guest on from S4 when the RTC alarm fires, though the
emulated RTC's alarm does fire. So a run that hibernates keeps the powered-off
machine (QEMU with -no-shutdown) and reads its CMOS as real firmware would
see it: the alarm registers, REG_B's alarm-interrupt enable, and REG_C's
alarm flag once the alarm time has come. Only when that flag is set does the
harness power the machine on again, as the platform would on the RTC's wake
event; an alarm that was never armed, or armed without its interrupt, leaves
the machine off and the run fails. Every register read is recorded.
"""

import calendar
import re
import time

# MC146818 registers (index written to port 0x70, data read from 0x71).
SECONDS, SECONDS_ALARM, MINUTES, MINUTES_ALARM, HOURS, HOURS_ALARM = 0x00, 0x01, 0x02, 0x03, 0x04, 0x05
DAY, MONTH, YEAR, REG_A, REG_B, REG_C, REG_D, CENTURY = 0x07, 0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x32
REG_B_DM, REG_B_24H, REG_B_AIE = 0x04, 0x02, 0x20   # binary (not BCD), 24-hour, alarm interrupt
REG_C_IRQF, REG_C_AF = 0x80, 0x20                  # interrupt request, alarm flag (reading clears)
# ICH9's ACPI PM1 registers at the PMBASE SeaBIOS programs on q35.
PM1_STS, PM1_EN, PM1_RTC = 0x600, 0x602, 0x0400    # RTC_STS / RTC_EN (bit 10)


class Monitor:
    """Port I/O through QMP's human-monitor-command; keeps a log of every read."""

    def __init__(self, qmp):
        self.qmp = qmp
        self.log = []

    def _hmp(self, line):
        return self.qmp.command("human-monitor-command", {"command-line": line}) or ""

    def inport(self, port, width="b"):
        """width: b (8 bits) or h (16)."""
        text = self._hmp("i /%s 0x%x" % (width, port))
        m = re.search(r"=\s*0x([0-9a-fA-F]+)", text)
        if not m:
            raise ValueError("monitor: no value in %r" % text)
        return int(m.group(1), 16)

    def cmos(self, index):
        self._hmp("o /b 0x70 0x%02x" % index)  # bit 7 clear: NMI stays enabled
        value = self.inport(0x71)
        self.log.append({"t": round(time.time(), 3), "reg": "0x%02x" % index, "value": "0x%02x" % value})
        return value


def _decode(value, reg_b):
    return value if reg_b & REG_B_DM else (value >> 4) * 10 + (value & 0x0F)


def read_rtc(mon):
    """The RTC's clock, alarm and control registers, decoded."""
    reg_b = mon.cmos(REG_B)
    raw = {name: mon.cmos(index) for name, index in (
        ("seconds", SECONDS), ("minutes", MINUTES), ("hours", HOURS), ("day", DAY), ("month", MONTH),
        ("year", YEAR), ("century", CENTURY), ("seconds_alarm", SECONDS_ALARM),
        ("minutes_alarm", MINUTES_ALARM), ("hours_alarm", HOURS_ALARM), ("reg_d", REG_D))}
    d = {k: _decode(v, reg_b) for k, v in raw.items() if k != "reg_d"}
    now = calendar.timegm((d["century"] * 100 + d["year"], d["month"], d["day"], d["hours"], d["minutes"],
                           d["seconds"], 0, 0, 0))
    alarm_of_day = d["hours_alarm"] * 3600 + d["minutes_alarm"] * 60 + d["seconds_alarm"]
    # The alarm matches the time of day (no date alarm on QEMU's RTC): its
    # next occurrence from the RTC's current time, or now if it is now.
    alarm = now - now % 86400 + alarm_of_day
    if alarm < now:
        alarm += 86400
    return {"reg_b": "0x%02x" % reg_b, "reg_d": "0x%02x" % raw["reg_d"], "aie": bool(reg_b & REG_B_AIE),
            "bcd": not reg_b & REG_B_DM, "h24": bool(reg_b & REG_B_24H), "rtc_time": now,
            "alarm_time_of_day": "%02d:%02d:%02d" % (d["hours_alarm"], d["minutes_alarm"], d["seconds_alarm"]),
            "alarm": alarm}


def wait_for_alarm(qmp, deadline, slack=15.0):
    """The machine is off (S4, QEMU kept by -no-shutdown). Read its RTC, then
    poll REG_C until the alarm flag is set, at most until the alarm's time
    plus `slack` (and never past `deadline`, a time.monotonic() value).
    Returns the record for the results: "fired" says whether to power on."""
    mon = Monitor(qmp)
    rec = {"read_at": round(time.time(), 3)}
    rec["at_s4"] = read_rtc(mon)
    try:
        rec["pm1_en"] = "0x%04x" % mon.inport(PM1_EN, "h")
        rec["pm1_sts"] = "0x%04x" % mon.inport(PM1_STS, "h")
        rec["rtc_wake_enabled"] = bool(int(rec["pm1_en"], 16) & PM1_RTC)
    except ValueError as e:
        rec["pm1_error"] = str(e)
    # REG_C as found: its flags were cleared by the guest's own reads, so
    # an alarm flag here would be one that fired while the guest was going down.
    rec["reg_c_at_s4"] = "0x%02x" % mon.cmos(REG_C)
    rec["fired"] = False
    if rec["at_s4"]["aie"]:
        # the RTC's seconds and the host's differ by less than one
        end = min(deadline, time.monotonic() + max(0.0, rec["at_s4"]["alarm"] - time.time()) + slack)
        if int(rec["reg_c_at_s4"], 16) & REG_C_AF:
            rec["fired"], rec["fired_at"], rec["reg_c"] = True, rec["read_at"], rec["reg_c_at_s4"]
        while not rec["fired"] and time.monotonic() < end:
            reg_c = mon.cmos(REG_C)
            if reg_c & REG_C_AF:
                rec["fired"], rec["fired_at"], rec["reg_c"] = True, round(time.time(), 3), "0x%02x" % reg_c
                break
            time.sleep(0.2)
    if int(rec.get("pm1_en", "0"), 16) & PM1_RTC:
        rec["pm1_sts_after"] = "0x%04x" % mon.inport(PM1_STS, "h")
    rec["reads"] = mon.log
    return rec
