#!/bin/bash
# Like hostpm-suspend-wait, but with --until: a member of group hostpm asks to
# be woken at a wall-clock time 20 s more than the minimum duration ahead
# ('YYYY-MM-DD HH:MM:SS', local time), computed here in the guest: the 20 s
# cover a call that took 11 s on a loaded host. A --status call first brings hostpmd up
# (by D-Bus activation), so this call→reply time is the warm one.
# Before it, --until=next-timer as a dry run against two real timers of the
# guest's systemd: one with WakeSystem=yes in two hours, which counts, and an
# earlier one without, which does not (NextTimers=wake-system, the default).
set -u
. "$HOSTPM_VM_PAYLOAD/harness/hostpm-lib.sh"
ahead=${HOSTPM_UNTIL_AHEAD:-$((min_duration + 20))}

hostpm_setup
before=$(cat /sys/power/suspend_stats/success)
save suspend-success-before "$before"
[ -z "$(cat $rtc/wakealarm)" ] || die "a wake alarm is set before the test: $(cat $rtc/wakealarm)"
as_member hostpm-suspend --status >"$out/status-before.txt" 2>&1 || die "--status failed: $(cat "$out/status-before.txt")"

job=$(( $(date +%s) + 7200 ))
systemd-run --quiet --unit=vm-job --timer-property=WakeSystem=yes --timer-property=AccuracySec=1s \
    --on-calendar="$(date -u -d "@$job" '+%Y-%m-%d %H:%M:%S') UTC" /bin/true || die "no WakeSystem=yes timer"
systemd-run --quiet --unit=vm-early --on-active=1h /bin/true || die "no timer without WakeSystem="
save next-timer-epoch "$job"
as_member hostpm-suspend --json --dry-run --no-ask-password --until=next-timer >"$out/next-timer.json" 2>&1 \
    || die "--until=next-timer failed: $(cat "$out/next-timer.json")"
systemctl stop vm-job.timer vm-early.timer
log "--until=next-timer: $(cat "$out/next-timer.json")"

wake=$(( $(date +%s) + ahead ))
until=$(date -d "@$wake" '+%Y-%m-%d %H:%M:%S')
save until-epoch "$wake"
save until "$until"
t_call=$(now)
start_bg cli as_member hostpm-suspend --wait --no-ask-password --until="$until"
t_plan=$(wait_for_line "$out/cli.out" '^Scheduled request' 60) \
    || die "no plan within 60 s: $(cat "$out/cli.out" "$out/cli.err" "$out/cli.rc" 2>/dev/null)"
console_mark PLAN
save t-call "$t_call"
save t-plan "$t_plan"
log "--until='$until' ($(date -d "@$wake" -u '+%T') UTC); plan after $(awk "BEGIN { printf \"%.3f\", $t_plan - $t_call }") s: $(head -n 1 "$out/cli.out")"

as_member hostpm-suspend --status --json >"$out/status-pending.json" 2>&1
show_units "$out/units-pending.txt"

wait_for_file "$out/cli.rc" $((ahead + 180)) || die "hostpm-suspend --wait did not return"
wait_for_resume "$before" 10 || log "the kernel counted no resume"
log "hostpm-suspend exited $(cat "$out/cli.rc"): $(cat "$out/cli.out" "$out/cli.err")"
hostpm_collect
exit 0
