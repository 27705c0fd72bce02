#!/bin/sh
# Baseline without hostpm: arm the RTC wake alarm by hand, suspend through
# systemd, and come back by the alarm alone. The host side
# (rtc-wake-baseline.check) judges the sleep by QMP SUSPEND/WAKEUP events.
set -eu
N=${SLEEP_SECONDS:-20}
out=$HOSTPM_VM_RESULTS
rtc=/sys/class/rtc/rtc0

echo "$N" >"$out/asked-seconds"
echo "power states: $(cat /sys/power/state); mem_sleep: $(cat /sys/power/mem_sleep)"
# Let the kernel log how long timekeeping was suspended (guest-side view).
echo 1 >/sys/power/pm_debug_messages
before=$(cat /sys/power/suspend_stats/success)

echo 0 >$rtc/wakealarm
# "+N" counts from the RTC's current whole second: arm right after the second
# ticks, or up to 1 s of the asked time is lost before the suspend even starts.
s=$(cat $rtc/since_epoch)
while [ "$(cat $rtc/since_epoch)" = "$s" ]; do :; done
echo "+$N" >$rtc/wakealarm
alarm=$(cat $rtc/wakealarm)
echo "alarm $alarm = rtc $(cat $rtc/since_epoch) + $N s"
echo "$alarm" >"$out/alarm"
cat /proc/driver/rtc >"$out/rtc-before"

systemctl suspend
# systemctl returns once logind has queued the sleep: wait for the resume.
i=0
while [ "$(cat /sys/power/suspend_stats/success)" = "$before" ]; do
    i=$((i + 1))
    if [ $i -gt 1800 ]; then
        echo "no resume after 180 s"
        exit 1
    fi
    sleep 0.1
done
echo "resumed: rtc $(cat $rtc/since_epoch), wakealarm '$(cat $rtc/wakealarm)'"
cat $rtc/wakealarm >"$out/wakealarm-after"
cat /proc/driver/rtc >"$out/rtc-after"
cat /sys/power/suspend_stats/success >"$out/suspend-success"
