#!/bin/bash
# Hibernate with a swap far too small for the image: a 2 MiB swap file,
# where the image is ~170 MB. logind 252 says "yes" (it weighs swap against
# Active(anon) only, ~150 kB here), so only hostpm can refuse it before
# anything sleeps; the host check (hostpm-hibernate-small-swap.check) wants a
# named refusal, nothing armed, no attempt by the kernel. Today hostpm lets
# it through: the kernel fails to write the image, and hostpm records the
# failed hibernation as a resume (meson.build: vm_known_bugs).
set -u
. "$HOSTPM_VM_PAYLOAD/harness/hostpm-lib.sh"

hostpm_setup
before=$(cat /sys/power/suspend_stats/success)
save suspend-success-before "$before"
[ -z "$(cat $rtc/wakealarm)" ] || die "a wake alarm is set before the test: $(cat $rtc/wakealarm)"
dd if=/dev/zero of=/small.swap bs=1M count=2 status=none && chmod 600 /small.swap \
    && mkswap -q /small.swap >/dev/null && swapon /small.swap || die "cannot enable a small swap file"
swapon --show --bytes >"$out/swaps.txt"
grep -E '^(Active|Inactive)\(anon\)|^Swap(Total|Free)' /proc/meminfo >"$out/meminfo.txt"
busctl call org.freedesktop.login1 /org/freedesktop/login1 org.freedesktop.login1.Manager CanHibernate \
    >"$out/can-hibernate.txt" 2>&1
log "swap: $(tail -n +2 "$out/swaps.txt"); CanHibernate: $(cat "$out/can-hibernate.txt")"
dmesg -n 7

# --wait: a refusal returns at once; a request let through is followed to its end.
as_member hostpm-suspend --wait --no-ask-password --target=disk 60s >"$out/cli.out" 2>"$out/cli.err"
echo $? >"$out/cli.rc"
log "hostpm-suspend exited $(cat "$out/cli.rc"): $(cat "$out/cli.out" "$out/cli.err")"
dmesg | grep -E 'PM: |hibernat' >"$out/dmesg-pm.txt"
journalctl -b --no-pager -o cat -u systemd-hibernate.service >"$out/systemd-hibernate.txt" 2>&1
swapoff /small.swap
hostpm_collect
exit 0
