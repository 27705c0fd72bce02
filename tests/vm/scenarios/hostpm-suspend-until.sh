#!/bin/bash
# Like hostpm-suspend-wait, but with --until: a member of group hostpm asks to
# be woken at a wall-clock time 20 s more than the minimum duration ahead
# ('YYYY-MM-DD HH:MM:SS', local time), computed here in the guest: the 20 s
# cover a call that took 11 s on a loaded host. A --status call first brings hostpmd up
# (by D-Bus activation), so this call→reply time is the warm one.
set -u
. "$HOSTPM_VM_PAYLOAD/harness/hostpm-lib.sh"
ahead=${HOSTPM_UNTIL_AHEAD:-$((min_duration + 20))}

hostpm_setup
before=$(cat /sys/power/suspend_stats/success)
save suspend-success-before "$before"
[ -z "$(cat $rtc/wakealarm)" ] || die "a wake alarm is set before the test: $(cat $rtc/wakealarm)"
as_member hostpm-suspend --status >"$out/status-before.txt" 2>&1 || die "--status failed: $(cat "$out/status-before.txt")"

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
