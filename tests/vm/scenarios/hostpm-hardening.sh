#!/bin/bash
# The shipped sandboxes on a real /sys: hostpmd.service as D-Bus activated,
# and the transient hostpm-suspend.service hostpmd makes (ProtectKernelTunables=
# makes /sys read-only; ReadWritePaths= must open the RTC's wakealarm again,
# with no capabilities at all). Root schedules a suspend; once the timer is
# set, sleep.conf is changed so that logind refuses the suspend, so the helper
# really runs, sets and reads back the alarm inside its sandbox, is refused
# by logind and must clear the alarm again -- all without a sleep (the
# suspend-wait scenario shows logind accepting it from the same sandbox).
set -u
. "$HOSTPM_VM_PAYLOAD/harness/hostpm-lib.sh"

hostpm_setup
before=$(cat /sys/power/suspend_stats/success)
save suspend-success-before "$before"
realpath $rtc/wakealarm >"$out/wakealarm-realpath"

hostpm-suspend --delay=8s 60s >"$out/schedule.out" 2>&1
echo $? >"$out/schedule.rc"
log "root scheduled (exit $(cat "$out/schedule.rc")): $(head -n 1 "$out/schedule.out")"
show_units "$out/units-pending.txt"
show_hostpmd "$out/hostpmd-show.txt"
# the production figures (the test bed's user manager cannot give them)
systemd-analyze security --no-pager hostpmd.service >"$out/security-hostpmd.txt" 2>&1
systemd-analyze security --no-pager hostpm-suspend.service >"$out/security-transient.txt" 2>&1
pid=$(systemctl show -p MainPID --value hostpmd.service)
grep -E '^(Uid|CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp):' "/proc/$pid/status" \
    >"$out/hostpmd-proc-status.txt" 2>&1

# From now on logind says "Sleep verb not supported" (it reads sleep.conf at
# each request).
mkdir -p /etc/systemd/sleep.conf.d
printf '[Sleep]\nAllowSuspend=no\n' >/etc/systemd/sleep.conf.d/90-hostpm-vm-refuse.conf
busctl call org.freedesktop.login1 /org/freedesktop/login1 org.freedesktop.login1.Manager CanSuspend \
    >"$out/can-suspend-refusing.txt" 2>&1

# Wait for the helper to run and end (the timer fires 8 s after the call).
id=$(sed -n 's/^Scheduled request \([0-9a-f]*\):.*/\1/p' "$out/schedule.out")
i=0
while :; do
    state=$(systemctl show -p ActiveState --value hostpm-suspend.service 2>/dev/null)
    result=$(sed -n 's/.*"result": "\([a-z]*\)".*/\1/p' /var/lib/hostpm/last-outcome.json 2>/dev/null)
    if grep -q "\"$id\"" /var/lib/hostpm/last-outcome.json 2>/dev/null && [ "$result" != suspending ] \
       && [ "$state" != activating ] && [ "$state" != active ]; then
        break
    fi
    i=$((i + 1))
    [ $i -le 600 ] || { log "the helper did not finish within 60 s"; break; }
    sleep 0.1
done
rm -f /etc/systemd/sleep.conf.d/90-hostpm-vm-refuse.conf
log "helper finished: $(cat /var/lib/hostpm/last-outcome.json 2>/dev/null)"
systemctl show hostpm-suspend.service -p Result -p ExecMainStatus >"$out/service-result.txt" 2>&1
hostpm_collect
exit 0
