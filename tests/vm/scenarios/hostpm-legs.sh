#!/bin/bash
# vm-options: swap=1024 hibernate
# A sleep longer than the wake alarm reaches, in legs, and hostpm's
# suspend-then-hibernate, in one boot (the host check is hostpm-legs.check).
# The drop-in lowers the RTC's range (WakeAlarmRange=) and the time in RAM
# (HibernateDelay=); MinimumDuration= is hostpm_setup's 20 s.
# 1. Bad input first: a member's --dry-run of a sleep whose two legs would be
#    shorter than MinimumDuration= is refused (LegNotArmable, exit 6) with
#    nothing scheduled and no alarm.
# 2. A member's `--wait --target=suspend-then-hibernate` of HibernateDelay= +
#    the range: two legs in RAM (S3, woken by the RTC alarm, re-armed with
#    no one involved), then one on disk (S4, the harness powers the machine
#    on when the CMOS alarm fires) whose alarm is the asked end.
set -u
. "$HOSTPM_VM_PAYLOAD/harness/hostpm-lib.sh"
# The range is the disk leg's length, and that alarm is armed before the
# image is written (18-26 s at load 20-40): 38 s, as hostpm-hibernate's
# 40 s. Under twice the minimum, so range + 1 needs two legs too short.
range=${HOSTPM_LEGS_RANGE:-38}
# Two RAM legs of 30 s: the second is planned from the time left, so the
# wake and the re-arm may take 10 s before it would fall under the minimum.
in_ram=${HOSTPM_LEGS_HIBERNATE_DELAY:-60}
duration=$((in_ram + range))
bad_duration=$((range + 1))

hostpm_setup
printf '[Suspend]\nWakeAlarmRange=%ss\nHibernateDelay=%ss\n' "$range" "$in_ram" \
    >/etc/hostpm/hostpm.conf.d/60-vm-legs.conf
save range "$range"
save hibernate-delay "$in_ram"
save asked-seconds "$duration"
save bad-seconds "$bad_duration"
swapon -L hostpm-swap || die "cannot enable the swap disk"
lsblk -dno MAJ:MIN "$(swapon --show=NAME --noheadings)" | tr -d ' ' >/sys/power/resume \
    || die "cannot make the swap disk the resume device"
firmware_s3_resume_hook
[ -z "$(cat $rtc/wakealarm)" ] || die "a wake alarm is set before the test: $(cat $rtc/wakealarm)"

# --- 1. a sleep whose later leg cannot be armed: refused, dry or not ------------
as_member hostpm-suspend --dry-run --no-ask-password --target=mem "${bad_duration}s" \
    >"$out/bad.out" 2>"$out/bad.err"
save bad.rc $?
log "--dry-run --target=mem ${bad_duration}s exited $(cat "$out/bad.rc"): $(cat "$out/bad.out" "$out/bad.err")"
cat $rtc/wakealarm >"$out/bad-wakealarm" 2>&1
systemctl list-units --all --no-legend --plain 'hostpm-suspend*' >"$out/bad-units.txt" 2>&1
as_member hostpm-suspend --status --json >"$out/bad-status.json" 2>&1

# --- 2. suspend-then-hibernate in three legs ----------------------------------------
sleep infinity &
sentinel=$!
save sentinel-pid "$sentinel"
save sentinel-start-before "$(sed 's/.*) //' "/proc/$sentinel/stat" | cut -d' ' -f20)"
save boot-id-before "$(cat /proc/sys/kernel/random/boot_id)"
dmesg -n 7

t_call=$(now)
start_bg cli as_member hostpm-suspend --wait --no-ask-password --target=suspend-then-hibernate "${duration}s"
t_plan=$(wait_for_line "$out/cli.out" '^Scheduled request' 60) \
    || die "no plan within 60 s: $(cat "$out/cli.out" "$out/cli.err" "$out/cli.rc" 2>/dev/null)"
console_mark PLAN
save t-call "$t_call"
save t-plan "$t_plan"
log "plan after $(awk "BEGIN { printf \"%.3f\", $t_plan - $t_call }") s: $(head -n 1 "$out/cli.out")"
as_member hostpm-suspend --status --json >"$out/status-pending.json" 2>&1
show_units "$out/units-pending.txt"

# The guest's clocks stop while it sleeps; the bound is for the time awake
# (two resumes, an image written and read back on a loaded host).
wait_for_file "$out/cli.rc" $((duration + 300)) || die "hostpm-suspend --wait did not return"
console_mark CLI-RETURNED
log "hostpm-suspend exited $(cat "$out/cli.rc"): $(cat "$out/cli.out" "$out/cli.err")"

save boot-id-after "$(cat /proc/sys/kernel/random/boot_id)"
if kill -0 "$sentinel" 2>/dev/null; then
    save sentinel-start-after "$(sed 's/.*) //' "/proc/$sentinel/stat" | cut -d' ' -f20)"
fi
dmesg | grep -E 'PM: |hibernat|Restarting|resume' >"$out/dmesg-pm.txt"
busctl get-property org.hostpm1 /org/hostpm1 org.hostpm1.Manager LastLegs >"$out/last-legs.txt" 2>&1
kill "$sentinel"
hostpm_collect
exit 0
