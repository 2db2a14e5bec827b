#!/usr/bin/env bash
# Local test hosts, the cluster deployed onto them, then its endpoints and a health summary.
# STACK=dev (classic, the default) or STACK=swarm. With a Pulumi CLI on this machine it runs
# `pulumi up --stack $STACK`; without one it deploys with the in-process test engine (a test
# double: real hosts, same program, no Pulumi service).
set -euo pipefail
cd "$(dirname "$0")/.."
nodes=${NODES:-3}
stack=${STACK:-dev}
[ -d node_modules ] || npm ci
if [ "$stack" = "swarm" ]; then
    bash scripts/sandbox.sh up --nodes "$nodes" --swarm
else
    bash scripts/sandbox.sh up --nodes "$nodes"
fi
if command -v pulumi >/dev/null 2>&1; then
    echo "[demo] deploying with: pulumi up --stack $stack"
    pulumi up --stack "$stack" --yes
    pulumi stack output --stack "$stack" caCertificate > .sandbox/ca.crt
else
    echo "[demo] no Pulumi CLI on this machine: deploying with the test engine (test/engine), a test double of 'pulumi up'"
    npx tsx test/engine/cli.ts up --stack "$stack"
    node -e 'process.stdout.write(require(process.argv[1]).caCertificate)' "./.sandbox/engine/$stack.outputs.json" > .sandbox/ca.crt
fi

mapfile -t addrs < <(node -e 'for (const h of require("./.sandbox/hosts.json")) console.log(h.address)')
key=.sandbox/id_ed25519
on() { ssh -i "$key" -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR "root@$1" "$2"; }
echo
echo "== endpoints (CA: .sandbox/ca.crt)"
for a in "${addrs[@]}"; do
    printf '  https://%s/  ->  sign-in page: HTTP %s\n' "$a" "$(curl -sS -m 10 -o /dev/null -w '%{http_code}' --cacert .sandbox/ca.crt "https://$a/accounts/login/" || echo unreachable)"
done
if [ "$stack" = "swarm" ]; then
    echo "== swarm"
    on "${addrs[0]}" "docker node ls; docker service ls"
    echo "== database"
    # shellcheck disable=SC2016  # expanded on the host
    on "${addrs[0]}" 'docker exec "$(docker ps -qf name=paperless-db_patroni-node1)" patronictl -c /etc/patroni/patroni.yml list'
else
    echo "== database"
    on "${addrs[0]}" "patronictl -c /etc/patroni/config.yml list 2>/dev/null || runuser -u postgres -- psql -qtAc 'SELECT node_name, node_status FROM pgactive.pgactive_nodes' paperless"
fi
echo "== storage"
on "${addrs[0]}" "gluster volume info paperless | grep -E '^(Status|Number of Bricks)'; gluster volume heal paperless info summary 2>/dev/null | grep -E 'Total Number of entries' | sort | uniq -c"
echo "== status any time: npm run status -- $stack --known-hosts .sandbox/known_hosts"
echo "== sign in as 'admin'; the password: npm run -s engine -- admin-password --stack $stack   (with the Pulumi CLI: pulumi stack output adminPassword --show-secrets)"
