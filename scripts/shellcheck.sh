#!/usr/bin/env bash
# Lint every shell script in the project with shellcheck.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files -co --exclude-standard '*.sh' .ci/run 'test/sandbox/*/services/*/run' | sort -u)
shellcheck -x "${files[@]}"
# Under pipefail `cmd | grep -q` fails whenever grep stops reading before cmd has written everything
# (SIGPIPE), so a test on a large output flips at random; search captured output instead.
if grep -nE '^[^#]*[^|]\| *grep +(-[a-zA-Z]*q|--quiet)' "${files[@]}"; then
    echo "shellcheck: pipe into 'grep -q' above; capture the output and use grep -q PATTERN <<< \"\$out\"" >&2
    exit 1
fi
echo "shellcheck: ${#files[@]} scripts clean"
