#!/bin/bash
# A member schedules a suspend and follows it with --wait; before the timer
# fires the member cancels it from another process. The follower must learn
# of it, nothing may sleep (the host check: no QMP SUSPEND), and nothing may
# be left behind. A second cancel finds nothing to cancel.
set -u
. "$HOSTPM_VM_PAYLOAD/harness/hostpm-lib.sh"
delay=${HOSTPM_DELAY:-10}

hostpm_setup
before=$(cat /sys/power/suspend_stats/success)
save suspend-success-before "$before"

start_bg cli as_member hostpm-suspend --wait --no-ask-password --delay="${delay}s" 60s
t_plan=$(wait_for_line "$out/cli.out" '^Scheduled request' 60) \
    || die "no plan within 60 s: $(cat "$out/cli.out" "$out/cli.err" "$out/cli.rc" 2>/dev/null)"
save t-plan "$t_plan"
console_mark PLAN
show_units "$out/units-pending.txt"

t_call=$(now)
as_member hostpm-suspend --no-ask-password --cancel >"$out/cancel.out" 2>&1
echo $? >"$out/cancel.rc"
save t-reply "$(now)"
save t-call "$t_call"
console_mark CANCELLED
log "--cancel: exit $(cat "$out/cancel.rc"): $(cat "$out/cancel.out")"
wait_for_file "$out/cli.rc" 30 || log "the --wait follower did not return within 30 s of the cancel"
log "the --wait follower: exit $(cat "$out/cli.rc" 2>/dev/null): $(cat "$out/cli.out" "$out/cli.err")"

as_member hostpm-suspend --no-ask-password --cancel >"$out/cancel-again.out" 2>&1
echo $? >"$out/cancel-again.rc"
# Stay up past the time the suspend would have started, plus a margin.
end=$(awk "BEGIN { print int($t_plan + $delay + 6) }")
while [ "$(date +%s)" -lt "$end" ]; do sleep 0.5; done
hostpm_collect
exit 0
