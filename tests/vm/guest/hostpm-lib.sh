# Sourced by the hostpm scenarios (scenarios/hostpm-*.sh), in the guest, as
# root, after guest-run has copied the `meson install` tree over / and
# reloaded systemd and dbus:
#     . "$HOSTPM_VM_PAYLOAD/harness/hostpm-lib.sh"
# Everything the host check reads goes to $HOSTPM_VM_RESULTS ($out).

out=$HOSTPM_VM_RESULTS
rtc=/sys/class/rtc/rtc0
member=hpmmember      # in group hostpm: the polkit rules grant it the actions
outsider=hpmoutsider  # in no such group
# The shortest sleep hostpm accepts in the guest: hostpm_setup lowers the
# shipped 60 s with a drop-in, as an admin would, so the suite's S3 and S4
# waits are shorter; every sleep asked is at least this.
min_duration=${HOSTPM_VM_MIN_DURATION:-20}

log() { echo "[$(date +%T.%N | cut -c1-12)] $*"; }
die() { echo "FAIL: $*"; exit 1; }
# Seconds since the epoch with microseconds (CLOCK_REALTIME, as hostpm's records).
now() { date +%s.%6N; }
# A HOSTPM-VM-<WORD> console line: the host records when it saw it.
console_mark() { printf '\nHOSTPM-VM-%s\n' "$*" >/dev/console; }
save() { echo "$2" >"$out/$1"; }  # save NAME VALUE

# Check the installed tree, lower MinimumDuration= by a drop-in, start
# polkitd afresh (so it reads the rules for sure), make the two users.
# hostpmd must not be running: only D-Bus activation may start it (and so
# reads the drop-in).
hostpm_setup() {
    local f
    for f in /usr/bin/hostpm-suspend /usr/libexec/hostpmd /usr/libexec/hostpm-sleep \
             /usr/share/dbus-1/system-services/org.hostpm1.service \
             /usr/share/dbus-1/system.d/org.hostpm1.conf \
             /usr/share/polkit-1/actions/org.hostpm1.policy \
             /usr/share/polkit-1/rules.d/50-hostpm.rules /etc/hostpm/hostpm.conf; do
        [ -e "$f" ] || die "not installed: $f"
    done
    mkdir -p /etc/hostpm/hostpm.conf.d
    printf '[Suspend]\nMinimumDuration=%ss\n' "$min_duration" >/etc/hostpm/hostpm.conf.d/50-vm-suite.conf
    save min-duration "$min_duration"
    systemctl cat hostpmd.service >"$out/hostpmd.service.txt" 2>&1 || die "systemd does not know hostpmd.service"
    [ "$(systemctl is-active hostpmd.service)" != active ] || die "hostpmd is running before anyone called it"
    ldd /usr/libexec/hostpmd /usr/libexec/hostpm-sleep /usr/bin/hostpm-suspend >"$out/ldd.txt" 2>&1
    ! grep -q "not found" "$out/ldd.txt" || die "missing libraries: $(grep 'not found' "$out/ldd.txt")"
    systemctl restart polkit.service || die "cannot start polkitd"
    groupadd --system hostpm
    useradd --create-home --groups hostpm $member
    useradd --create-home $outsider
    save member-uid "$(id -u $member)"
    save outsider-uid "$(id -u $outsider)"
    log "set up: $member (uid $(id -u $member), groups $(id -Gn $member)), $outsider (uid $(id -u $outsider))"
}

as_member() { runuser -u $member -- "$@"; }
as_outsider() { runuser -u $outsider -- "$@"; }

# Proof that D-Bus activated hostpmd: dbus-daemon's "Activating via systemd"
# line and the unit's state.
hostpm_record_activation() {
    journalctl -b --no-pager -o short-monotonic -u dbus.service \
        | grep -E "org\.hostpm1|hostpmd" >"$out/activation.txt" || true
    systemctl show hostpmd.service -p ActiveState -p SubState -p MainPID -p NRestarts \
        -p ExecMainStartTimestampMonotonic >>"$out/activation.txt"
}

# Run a command in the background with its stdout/stderr in $out/NAME.out
# and .err, its exit code in $out/NAME.rc when it ends.
start_bg() {  # start_bg NAME command...
    local name=$1
    shift
    ( "$@" >"$out/$name.out" 2>"$out/$name.err"; echo $? >"$out/$name.rc" ) &
}

# Wait (polling every 20 ms) until FILE contains PATTERN; prints the time it
# did. Gives up after SECONDS.
wait_for_line() {  # wait_for_line FILE PATTERN SECONDS
    local end=$(( $(date +%s) + $3 ))
    while ! grep -q "$2" "$1" 2>/dev/null; do
        [ "$(date +%s)" -lt $end ] || return 1
        sleep 0.02
    done
    now
}

wait_for_file() {  # wait_for_file FILE SECONDS
    local i=0
    while [ ! -e "$1" ]; do
        i=$((i + 1))
        [ $i -le $(($2 * 10)) ] || return 1
        sleep 0.1
    done
}

# The transient units as systemd applied them (the hardening really in force).
TRANSIENT_PROPS="Id LoadState ActiveState SubState ExecStart User NoNewPrivileges ProtectSystem ProtectHome
PrivateTmp PrivateDevices PrivateNetwork ProtectKernelTunables ProtectKernelModules ProtectKernelLogs
ProtectControlGroups ProtectClock ProtectHostname RestrictNamespaces RestrictRealtime RestrictSUIDSGID
LockPersonality MemoryDenyWriteExecute CapabilityBoundingSet AmbientCapabilities RestrictAddressFamilies
SystemCallArchitectures SystemCallFilter SystemCallErrorNumber ReadWritePaths ReadOnlyPaths InaccessiblePaths
StateDirectory UMask Type CollectMode Result ExecMainStatus ExecMainCode ProtectProc ProcSubset PrivateIPC RemoveIPC"

show_units() {  # show_units FILE: both transient units, if loaded
    {
        systemctl show hostpm-suspend.timer -p Id -p LoadState -p ActiveState -p OnActiveUSec \
            -p AccuracyUSec -p NextElapseUSecMonotonic -p RemainAfterElapse -p Unit
        echo
        systemctl show hostpm-suspend.service $(printf -- '-p %s ' $TRANSIENT_PROPS)
    } >"$1" 2>&1
}

show_hostpmd() {  # show_hostpmd FILE: hostpmd.service as running
    systemctl show hostpmd.service $(printf -- '-p %s ' $TRANSIENT_PROPS) -p MainPID >"$1" 2>&1
}

# After a scenario: the record, the status, the alarm, the units, the journal.
hostpm_collect() {
    cat $rtc/wakealarm >"$out/wakealarm-after" 2>&1
    cat /var/lib/hostpm/last-outcome.json >"$out/last-outcome.json" 2>/dev/null || true
    as_outsider hostpm-suspend --status --json >"$out/status-after.json" 2>"$out/status-after.err"
    echo $? >"$out/status-after.rc"
    systemctl list-units --all --no-legend --plain 'hostpm*' >"$out/units-after.txt" 2>&1
    systemctl list-timers --all --no-legend 'hostpm*' >>"$out/units-after.txt" 2>&1
    cat /sys/power/suspend_stats/success >"$out/suspend-success-after"
    hostpm_record_activation
    # Every journal entry of this boot as JSON: the host check picks out
    # hostpm's audit entries (MESSAGE_ID, HOSTPM_* fields).
    journalctl -b --no-pager -o json >"$out/journal.json" 2>/dev/null
    journalctl -b --no-pager -o short-monotonic -u hostpm-suspend.service -u hostpm-suspend.timer \
        -u hostpmd.service >"$out/hostpm-journal.txt" 2>&1
}

# Wait until the kernel counts one more successful suspend than BEFORE
# (the resume has happened), at most SECONDS.
wait_for_resume() {  # wait_for_resume BEFORE SECONDS
    local i=0
    while [ "$(cat /sys/power/suspend_stats/success)" = "$1" ]; do
        i=$((i + 1))
        [ $i -le $(($2 * 10)) ] || return 1
        sleep 0.1
    done
}

# QEMU wakes from S3 by a reset, and SeaBIOS's resume path, unlike its cold
# boot, does not program the ICH9 LPC's PMBASE (config 0x40) and ACPI_CNTL
# (0x44) again: after the first resume of a boot the ACPI PM registers
# (PM1 at 0x600) are no longer decoded, so the kernel's next S3 write goes
# nowhere and its read of WAK_STS (all ones) "resumes" it at once, with no
# QMP SUSPEND. Firmware restores them on real hardware; this systemd-sleep
# hook plays that part after each resume (before logind says the host is
# back, so before anyone can ask for the next sleep), for a scenario whose
# host sleeps more than once in a boot. Each run is logged to
# $out/firmware-s3-resume.log: when, what it found, what it wrote back.
firmware_s3_resume_hook() {
    local lpc=/sys/bus/pci/devices/0000:00:1f.0/config saved=/run/hostpm-vm-lpc-pm.bin
    dd if=$lpc of=$saved bs=4 skip=16 count=2 status=none || die "cannot read the LPC's config space"
    save lpc-pm-at-boot "$(od -An -tx1 -v $saved)"
    cat >/usr/lib/systemd/system-sleep/00-hostpm-vm-firmware <<HOOK
#!/bin/sh
[ "\$1" = post ] || exit 0
found=\$(od -An -tx1 -v -j64 -N8 $lpc)
dd if=$saved of=$lpc bs=4 seek=16 count=1 conv=notrunc status=none
dd if=$saved of=$lpc bs=1 skip=4 seek=68 count=1 conv=notrunc status=none
echo "\$(date +%s.%6N) \$1 \$2 found\$found set\$(od -An -tx1 -v -j64 -N8 $lpc)" >>$out/firmware-s3-resume.log
HOOK
    chmod 0755 /usr/lib/systemd/system-sleep/00-hostpm-vm-firmware
}
