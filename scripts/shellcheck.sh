#!/usr/bin/env bash
# Lint every shell script in the project with shellcheck.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files -co --exclude-standard '*.sh' .ci/run | sort -u)
shellcheck -x "${files[@]}"
echo "shellcheck: ${#files[@]} scripts clean"
