#!/bin/bash
# A user outside group hostpm asks for a suspend: refused with
# org.hostpm1.Error.NotAuthorized (CLI exit 4), with and without interactive
# authorization allowed; nothing scheduled, no unit, no alarm. The same user
# may still read the status (anyone may), but may not cancel a member's
# request. No suspend.
set -u
. "$HOSTPM_VM_PAYLOAD/harness/hostpm-lib.sh"

hostpm_setup
before=$(cat /sys/power/suspend_stats/success)
save suspend-success-before "$before"

t_call=$(now)
as_outsider hostpm-suspend --no-ask-password 60s >"$out/schedule.out" 2>"$out/schedule.err"
echo $? >"$out/schedule.rc"
save t-reply "$(now)"
save t-call "$t_call"
log "outsider, --no-ask-password: exit $(cat "$out/schedule.rc"): $(cat "$out/schedule.out" "$out/schedule.err")"
# Interactive authorization allowed, but no terminal and no agent: polkit has
# no one to ask, so the answer must still come, and be no.
timeout 60 runuser -u $outsider -- hostpm-suspend 60s >"$out/interactive.out" 2>"$out/interactive.err" </dev/null
echo $? >"$out/interactive.rc"
log "outsider, interactive allowed: exit $(cat "$out/interactive.rc"): $(cat "$out/interactive.err")"
# The error's name, as a management program sees it on the bus.
as_outsider dbus-send --system --print-reply --dest=org.hostpm1 /org/hostpm1 org.hostpm1.Manager.ScheduleSuspend \
    string:mem uint64:60000000 uint64:0 uint64:0 >"$out/dbus-send.txt" 2>&1
echo $? >"$out/dbus-send.rc"
log "dbus-send: $(cat "$out/dbus-send.txt")"
show_units "$out/units-after-refusal.txt"
cat $rtc/wakealarm >"$out/wakealarm-after-refusal"
as_outsider hostpm-suspend --status --json >"$out/status-outsider.json" 2>&1
echo $? >"$out/status-outsider.rc"

# A member's request may not be cancelled by the outsider.
as_member hostpm-suspend --no-ask-password --delay=60s 60s >"$out/member.out" 2>&1
echo $? >"$out/member.rc"
as_outsider hostpm-suspend --no-ask-password --cancel >"$out/outsider-cancel.out" 2>&1
echo $? >"$out/outsider-cancel.rc"
as_outsider hostpm-suspend --status --json >"$out/status-after-outsider-cancel.json" 2>&1
as_member hostpm-suspend --no-ask-password --cancel >"$out/member-cancel.out" 2>&1
echo $? >"$out/member-cancel.rc"
log "member scheduled (exit $(cat "$out/member.rc")), outsider --cancel: exit $(cat "$out/outsider-cancel.rc"):" \
    "$(cat "$out/outsider-cancel.out"); member --cancel: exit $(cat "$out/member-cancel.rc")"
hostpm_collect
exit 0
