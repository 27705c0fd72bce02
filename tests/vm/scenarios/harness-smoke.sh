#!/bin/sh
# Harness self-test (no suspend): the --install tree is in place and owned by
# root, systemd sees its unit, --payload files are readable, results come out.
# tests/vm/selftest makes the tree and payload this expects.
set -eu
out=$HOSTPM_VM_RESULTS
cat "$HOSTPM_VM_FILES/greeting" >"$out/greeting"
hostpm-smoke-hello >"$out/hello"
stat -c '%U:%G %a' /usr/bin/hostpm-smoke-hello >"$out/owner"
systemctl start hostpm-smoke.service
cat /run/hostpm-smoke >"$out/unit-ran"
uname -r >"$out/kernel"
