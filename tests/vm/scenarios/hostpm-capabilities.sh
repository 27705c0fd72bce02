#!/bin/bash
# Capabilities from the real logind, read by an unprivileged user (anyone may):
# the XML, the JSON and the table; logind's own answers through busctl in the
# same guest for the host check to compare; the XML validated here against
# the installed schemas. Also whether the alarm range hostpm reports is the
# one this RTC takes (it accepts an alarm that far ahead and refuses one a
# second farther), and that a request longer than the longest sleep, or
# shorter than the drop-in's MinimumDuration=, is refused before anything is
# scheduled. No suspend.
set -u
. "$HOSTPM_VM_PAYLOAD/harness/hostpm-lib.sh"

hostpm_setup
before=$(cat /sys/power/suspend_stats/success)
save suspend-success-before "$before"

t_call=$(now)
as_outsider hostpm-suspend --capabilities --xml >"$out/caps.xml" 2>"$out/caps-xml.err"
echo $? >"$out/caps-xml.rc"
save t-reply "$(now)"
save t-call "$t_call"
as_outsider hostpm-suspend --capabilities --json >"$out/caps.json" 2>"$out/caps-json.err"
echo $? >"$out/caps-json.rc"
as_outsider hostpm-suspend --capabilities >"$out/caps.txt" 2>&1
echo $? >"$out/caps-txt.rc"
log "capabilities (exit $(cat "$out/caps-xml.rc")):"
cat "$out/caps.xml"

# Validation with the schemas as installed.
xmllint --noout --relaxng /usr/share/hostpm/hostpm-capabilities.rng "$out/caps.xml" >"$out/validate-hostpm.txt" 2>&1
echo $? >"$out/validate-hostpm.rc"
xmllint --xpath '/capabilities/host/power_management' "$out/caps.xml" >"$out/power_management.xml" 2>&1
xmllint --noout --relaxng /usr/share/hostpm/libvirt-power-management.rng "$out/power_management.xml" \
    >"$out/validate-libvirt.txt" 2>&1
echo $? >"$out/validate-libvirt.rc"

# What logind itself says, asked as root (hostpmd is root too, without
# capabilities: logind answers both through polkit, which grants root).
for m in CanSuspend CanHibernate CanHybridSleep CanSuspendThenHibernate; do
    echo "$m $(busctl call org.freedesktop.login1 /org/freedesktop/login1 \
        org.freedesktop.login1.Manager $m 2>&1)"
done >"$out/logind.txt"
cat "$out/logind.txt"
{
    echo "state: $(cat /sys/power/state)"
    echo "mem_sleep: $(cat /sys/power/mem_sleep)"
    echo "disk: $(cat /sys/power/disk 2>&1)"
    echo "rtc_name: $(cat $rtc/name)"
    echo "wakeup: $(cat $rtc/device/power/wakeup 2>&1)"
} >"$out/kernel.txt"

# The alarm range hostpm reports must be the RTC's: an alarm that far ahead
# is taken, one a second farther is not. The driver reads the clock again
# when it checks, so a second that ticks in between lets "+range+1" pass:
# it must be refused in one of three tries (a wider range would take all).
range=$(xmllint --xpath 'string(/capabilities/host/wake_alarm/@range_seconds)' "$out/caps.xml" 2>/dev/null)
save range-seconds "$range"
save range-source "$(xmllint --xpath 'string(/capabilities/host/wake_alarm/@range_source)' "$out/caps.xml" 2>/dev/null)"
save day-alarm "$(xmllint --xpath 'string(/capabilities/host/wake_alarm/@day_alarm)' "$out/caps.xml" 2>/dev/null)"
dmesg | grep -o 'rtc_cmos [^ ]*: alarms up to [^,]*' >"$out/rtc-cmos-log.txt" 2>&1
save s4-wake "$(xmllint --xpath 'string(/capabilities/host/wake_alarm/@s4_wake)' "$out/caps.xml" 2>/dev/null)"
dmesg | grep -c 'rtc_cmos [^ ]*: RTC can wake from S4' >"$out/rtc-s4-log.txt" 2>&1
if [ -n "$range" ]; then
    echo 0 >$rtc/wakealarm
    if echo "+$range" >$rtc/wakealarm 2>"$out/rtc-range.err"; then save rtc-accepts-range yes; else save rtc-accepts-range no; fi
    save rtc-accepts-beyond-range yes
    for _ in 1 2 3; do
        echo 0 >$rtc/wakealarm
        if ! echo "+$((range + 1))" >$rtc/wakealarm 2>"$out/rtc-beyond-range.err"; then
            save rtc-accepts-beyond-range no
            break
        fi
    done
    echo 0 >$rtc/wakealarm
fi
# One second more than the longest sleep: refused by hostpmd, nothing scheduled.
max=$(xmllint --xpath 'string(/capabilities/host/wake_alarm/@max_seconds)' "$out/caps.xml" 2>/dev/null)
save max-seconds "$max"
if [ -n "$max" ]; then
    as_member hostpm-suspend --no-ask-password "$((max + 1))s" >"$out/too-long.out" 2>&1
    echo $? >"$out/too-long.rc"
    log "$((max + 1))s: exit $(cat "$out/too-long.rc"): $(cat "$out/too-long.out")"
fi
# One second less than the minimum (hostpm_setup's drop-in): refused too.
as_member hostpm-suspend --no-ask-password "$((min_duration - 1))s" >"$out/too-short.out" 2>&1
echo $? >"$out/too-short.rc"
log "$((min_duration - 1))s: exit $(cat "$out/too-short.rc"): $(cat "$out/too-short.out")"
hostpm_collect
exit 0
