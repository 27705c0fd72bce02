#!/bin/bash
# vm-options: swap=1024
# Hibernation's bad input, then a hybrid sleep. First, with no swap enabled
# (the swap disk is there but off), a member asks --target=disk and
# --target=hybrid: logind says "na", and hostpm must refuse before anything
# is scheduled, armed or slept. (A swap too small for the image is not
# refused: logind 252 compares it with Active(anon) only, a few hundred kB
# here, and says "yes"; see tests/vm/README.md.)
# Then, with the swap disk on, the member runs `hostpm-suspend --wait
# --target=hybrid`: the kernel writes its image, enters S3, and the RTC wakes
# it (QMP SUSPEND, WAKEUP); the host check (hostpm-hybrid.check) holds the
# figures against QMP and the console.
set -u
. "$HOSTPM_VM_PAYLOAD/harness/hostpm-lib.sh"
# 20 s over the minimum: the alarm is armed before logind's call, and the
# image must be written before it passes (18-26 s at load 20-40).
duration=${HOSTPM_DURATION:-$((min_duration + 20))}

can() {  # can METHOD: logind's answer, as root
    busctl call org.freedesktop.login1 /org/freedesktop/login1 org.freedesktop.login1.Manager "$1" 2>&1
}

# refuse NAME TARGET: a member's request that must be refused; what the
# caller, the status and the RTC show right after.
refuse() {
    local name=$1 target=$2
    can CanHibernate >"$out/$name.can-hibernate"
    can CanHybridSleep >"$out/$name.can-hybrid"
    as_member hostpm-suspend --no-ask-password --target="$target" "${duration}s" \
        >"$out/$name.out" 2>"$out/$name.err"
    echo $? >"$out/$name.rc"
    as_outsider hostpm-suspend --status --json >"$out/$name.status.json" 2>&1
    cat $rtc/wakealarm >"$out/$name.wakealarm"
    systemctl list-units --all --no-legend --plain 'hostpm-suspend*' >"$out/$name.units" 2>&1
    log "$name: --target=$target exited $(cat "$out/$name.rc"): $(cat "$out/$name.err")" \
        "(CanHibernate $(cat "$out/$name.can-hibernate"), CanHybridSleep $(cat "$out/$name.can-hybrid"))"
}

hostpm_setup
before=$(cat /sys/power/suspend_stats/success)
save suspend-success-before "$before"
[ -z "$(cat $rtc/wakealarm)" ] || die "a wake alarm is set before the test: $(cat $rtc/wakealarm)"

# No swap at all.
swapon --show --noheadings >"$out/swaps-none.txt"
[ ! -s "$out/swaps-none.txt" ] || die "swap is on before the test: $(cat "$out/swaps-none.txt")"
refuse noswap-disk disk
refuse noswap-hybrid hybrid

console_mark REFUSALS-DONE
save suspend-success-refusals "$(cat /sys/power/suspend_stats/success)"

# Now a real one.
swapon -L hostpm-swap || die "cannot enable the swap disk"
# The resume device, as an initramfs does at boot for resume=: hostpm
# refuses to write an image no boot would read back (0:0).
lsblk -dno MAJ:MIN "$(swapon --show=NAME --noheadings)" | tr -d ' ' >/sys/power/resume \
    || die "cannot make the swap disk the resume device"
swapon --show --bytes >"$out/swaps.txt"
cat /sys/power/disk >"$out/power-disk.txt"
can CanHybridSleep >"$out/can-hybrid.txt"
log "swap: $(tail -n +2 "$out/swaps.txt"); CanHybridSleep: $(cat "$out/can-hybrid.txt")"
save boot-id-before "$(cat /proc/sys/kernel/random/boot_id)"
# The kernel's info lines (hibernation entry, image written, exit) reach the
# console, where the host times them.
dmesg -n 7

t_call=$(now)
start_bg cli as_member hostpm-suspend --wait --no-ask-password --target=hybrid "${duration}s"
t_plan=$(wait_for_line "$out/cli.out" '^Scheduled request' 60) \
    || die "no plan within 60 s: $(cat "$out/cli.out" "$out/cli.err" "$out/cli.rc" 2>/dev/null)"
console_mark PLAN
save t-call "$t_call"
save t-plan "$t_plan"
log "plan after $(awk "BEGIN { printf \"%.3f\", $t_plan - $t_call }") s: $(head -n 1 "$out/cli.out")"
as_member hostpm-suspend --status --json >"$out/status-pending.json" 2>&1
show_units "$out/units-pending.txt"

wait_for_file "$out/cli.rc" $((duration + 240)) || die "hostpm-suspend --wait did not return"
console_mark CLI-RETURNED
log "hostpm-suspend exited $(cat "$out/cli.rc"): $(cat "$out/cli.out" "$out/cli.err")"
save boot-id-after "$(cat /proc/sys/kernel/random/boot_id)"
dmesg | grep -E 'PM: |hibernat|ACPI: PM' >"$out/dmesg-pm.txt"
hostpm_collect
exit 0
