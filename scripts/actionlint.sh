#!/usr/bin/env bash
# Check the GitHub workflows and the local action with actionlint (shellcheck on their run: steps).
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${PAPERLESS_HA_CACHE:-/var/cache/paperless-ha}/tools/bin/actionlint"
[ -x "$bin" ] || { echo "no actionlint at $bin: run npm run test:tools" >&2; exit 1; }
"$bin" -shellcheck "$(command -v shellcheck)"
echo "actionlint: $(git ls-files -co --exclude-standard '.github/workflows/*.yml' | wc -l) workflows clean"
