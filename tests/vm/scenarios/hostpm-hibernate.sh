#!/bin/bash
# vm-options: swap=1024 hibernate
# A member of group hostpm runs `hostpm-suspend --wait --target=disk`: the
# guest writes its image to the swap disk and powers off in S4. The harness
# keeps the machine off, reads its CMOS until the RTC alarm fires, then starts
# a new QEMU on the same disks (hostpmvm.py, cmos.py); the initramfs resumes
# the image. What only a resume shows is recorded on both sides of the sleep:
# the boot id, a sentinel process (pid and start time), CLOCK_BOOTTIME against
# CLOCK_MONOTONIC, and the kernel's "hibernation exit". The host check
# (hostpm-hibernate.check) holds it against QMP and the CMOS.
set -u
. "$HOSTPM_VM_PAYLOAD/harness/hostpm-lib.sh"
# 20 s over the minimum: the alarm is armed before logind's call, and the
# image must be written before it passes (18-26 s at load 20-40).
duration=${HOSTPM_DURATION:-$((min_duration + 20))}

# CLOCK_BOOTTIME (/proc/uptime) and CLOCK_MONOTONIC (timer_list's "now"),
# seconds; BOOTTIME - MONOTONIC grows by the time the kernel slept.
clocks() {
    echo "boottime $(cut -d' ' -f1 /proc/uptime)"
    awk '/^now at/ { printf "monotonic %.3f\n", $3 / 1e9; exit }' /proc/timer_list
}
# A process's start time (clock ticks after boot, /proc/PID/stat field 22).
starttime() { sed 's/.*) //' "/proc/$1/stat" | cut -d' ' -f20; }

hostpm_setup
swapon -L hostpm-swap || die "cannot enable the swap disk"
# The resume device, as an initramfs does at boot for resume=: hostpm
# refuses to write an image no boot would read back (0:0).
lsblk -dno MAJ:MIN "$(swapon --show=NAME --noheadings)" | tr -d ' ' >/sys/power/resume \
    || die "cannot make the swap disk the resume device"
swapon --show --bytes >"$out/swaps.txt"
cat /sys/power/state /sys/power/disk >"$out/power.txt"
busctl call org.freedesktop.login1 /org/freedesktop/login1 org.freedesktop.login1.Manager CanHibernate \
    >"$out/can-hibernate.txt" 2>&1
log "swap: $(tail -n +2 "$out/swaps.txt"); /sys/power/disk: $(cat /sys/power/disk); CanHibernate: $(cat "$out/can-hibernate.txt")"
[ -z "$(cat $rtc/wakealarm)" ] || die "a wake alarm is set before the test: $(cat $rtc/wakealarm)"

# Before the sleep: who we are, and a process that must still be there after.
sleep infinity &
sentinel=$!
save sentinel-pid "$sentinel"
save sentinel-start-before "$(starttime "$sentinel")"
save boot-id-before "$(cat /proc/sys/kernel/random/boot_id)"
clocks >"$out/clocks-before.txt"
# The kernel's info lines (hibernation entry, image written, exit) reach the
# console, where the host times them.
dmesg -n 7

t_call=$(now)
start_bg cli as_member hostpm-suspend --wait --no-ask-password --target=disk "${duration}s"
t_plan=$(wait_for_line "$out/cli.out" '^Scheduled request' 60) \
    || die "no plan within 60 s: $(cat "$out/cli.out" "$out/cli.err" "$out/cli.rc" 2>/dev/null)"
console_mark PLAN
save t-call "$t_call"
save t-plan "$t_plan"
save cli-pid "$(pgrep -u $member -x hostpm-suspend)"
log "plan after $(awk "BEGIN { printf \"%.3f\", $t_plan - $t_call }") s: $(head -n 1 "$out/cli.out")"
as_member hostpm-suspend --status --json >"$out/status-pending.json" 2>&1
show_units "$out/units-pending.txt"

# The CLI returns after the resume: delay, image, off until the alarm, a new
# QEMU, the image read back. Its time asleep does not count against this
# bound's clock (the guest's clocks stop), but a loaded host slows the rest.
wait_for_file "$out/cli.rc" $((duration + 300)) || die "hostpm-suspend --wait did not return"
console_mark CLI-RETURNED
log "hostpm-suspend exited $(cat "$out/cli.rc"): $(cat "$out/cli.out" "$out/cli.err")"

save boot-id-after "$(cat /proc/sys/kernel/random/boot_id)"
clocks >"$out/clocks-after.txt"
if kill -0 "$sentinel" 2>/dev/null; then
    save sentinel-start-after "$(starttime "$sentinel")"
fi
dmesg | grep -E 'PM: |hibernat|Restarting|resume' >"$out/dmesg-pm.txt"
swapon --show --bytes >"$out/swaps-after.txt"
kill "$sentinel"
hostpm_collect
exit 0
