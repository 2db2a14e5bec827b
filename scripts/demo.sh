#!/usr/bin/env bash
# Local test hosts, the cluster deployed onto them, then its endpoints and a health summary.
# With a Pulumi CLI on this machine it runs `pulumi up --stack dev`; without one it deploys with
# the in-process test engine (a test double: real hosts, same program, no Pulumi service).
set -euo pipefail
cd "$(dirname "$0")/.."
nodes=${NODES:-3}
[ -d node_modules ] || npm ci
bash scripts/sandbox.sh up --nodes "$nodes"
if command -v pulumi >/dev/null 2>&1; then
    echo "[demo] deploying with: pulumi up --stack dev"
    pulumi up --stack dev --yes
    pulumi stack output --stack dev caCertificate > .sandbox/ca.crt
else
    echo "[demo] no Pulumi CLI on this machine: deploying with the test engine (test/engine), a test double of 'pulumi up'"
    npx tsx test/engine/cli.ts up --stack dev
    node -e 'process.stdout.write(require("./.sandbox/engine/dev.outputs.json").caCertificate)' > .sandbox/ca.crt
fi

mapfile -t addrs < <(node -e 'for (const h of require("./.sandbox/hosts.json")) console.log(h.address)')
key=.sandbox/id_ed25519
on() { ssh -i "$key" -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR "root@$1" "$2"; }
echo
echo "== endpoints (CA: .sandbox/ca.crt)"
for a in "${addrs[@]}"; do
    printf '  https://%s/  ->  %s\n' "$a" "$(curl -sS --cacert .sandbox/ca.crt "https://$a/api/ha/" || echo unreachable)"
done
echo "== database"
on "${addrs[0]}" "patronictl -c /etc/patroni/config.yml list 2>/dev/null || runuser -u postgres -- psql -qtAc 'SELECT node_name, node_status FROM pgactive.pgactive_nodes' paperless"
echo "== storage"
on "${addrs[0]}" "gluster volume info paperless | grep -E '^(Status|Number of Bricks)'; gluster volume heal paperless info summary 2>/dev/null | grep -E 'Total Number of entries' | sort | uniq -c"
echo "== sign in as 'admin'; the password: npm run -s engine -- admin-password   (with the Pulumi CLI: pulumi stack output adminPassword --show-secrets)"
