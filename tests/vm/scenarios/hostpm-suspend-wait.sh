#!/bin/bash
# A member of group hostpm (not root) runs `hostpm-suspend --wait` for the
# minimum duration (the guest's MinimumDuration=, hostpm-lib.sh) with the
# shipped default delay.
# The guest records when the plan came back and what hostpm reported; the
# host check (hostpm-suspend-wait.check) holds it against QMP's SUSPEND and
# WAKEUP. The first call also D-Bus-activates hostpmd, so the call→reply time
# includes hostpmd's start.
set -u
. "$HOSTPM_VM_PAYLOAD/harness/hostpm-lib.sh"
duration=${HOSTPM_DURATION:-$min_duration}

hostpm_setup
before=$(cat /sys/power/suspend_stats/success)
save suspend-success-before "$before"
save asked-seconds "$duration"
[ -z "$(cat $rtc/wakealarm)" ] || die "a wake alarm is set before the test: $(cat $rtc/wakealarm)"

t_call=$(now)
start_bg cli as_member hostpm-suspend --wait --no-ask-password "${duration}s"
t_plan=$(wait_for_line "$out/cli.out" '^Scheduled request' 60) \
    || die "no plan within 60 s: $(cat "$out/cli.out" "$out/cli.err" "$out/cli.rc" 2>/dev/null)"
console_mark PLAN
save t-call "$t_call"
save t-plan "$t_plan"
log "plan after $(awk "BEGIN { printf \"%.3f\", $t_plan - $t_call }") s: $(head -n 1 "$out/cli.out")"

# While the timer runs: what the member sees, and the units as systemd made them.
as_member hostpm-suspend --status --json >"$out/status-pending.json" 2>&1
show_units "$out/units-pending.txt"
show_hostpmd "$out/hostpmd-show.txt"
pid=$(systemctl show -p MainPID --value hostpmd.service)
grep -E '^(CapBnd|CapEff|NoNewPrivs|Seccomp):' "/proc/$pid/status" >"$out/hostpmd-proc-status.txt" 2>&1

# The CLI returns after the resume (delay + sleep + resume), or fails.
wait_for_file "$out/cli.rc" $((duration + 180)) || die "hostpm-suspend --wait did not return"
t_cli_end=$(now)
save t-cli-end "$t_cli_end"
wait_for_resume "$before" 10 || log "the kernel counted no resume"
log "hostpm-suspend exited $(cat "$out/cli.rc"): $(cat "$out/cli.out" "$out/cli.err")"
hostpm_collect
exit 0
