#!/usr/bin/env bash
# ci-stack.sh check | write-key STACK | remove-key STACK: what a CI job needs around `pulumi`.
#   check       a backend is set: PULUMI_ACCESS_TOKEN (Pulumi Cloud) or PULUMI_BACKEND_URL
#   write-key   the SSH key from $SSH_KEY, at the stack's ssh.privateKeyPath, for this run only
#   remove-key  that key again, and only a key write-key wrote (a key already on the runner stays)
# A stack holding its key as the secret sshPrivateKey needs no key file.
set -euo pipefail
cd "$(dirname "$0")/.."
action=${1:-}
marker="${RUNNER_TEMP:-/tmp}/paperless-ha-ci-key"
key_path() { node_modules/.bin/tsx tools/sshKeyPath.ts "$1"; }
case $action in
check)
    if [ -z "${PULUMI_ACCESS_TOKEN:-}" ] && [ -z "${PULUMI_BACKEND_URL:-}" ]; then
        echo "::error::no Pulumi backend: set the secret PULUMI_ACCESS_TOKEN (Pulumi Cloud) or the variable PULUMI_BACKEND_URL (s3://…, azblob://…, gs://…, file://…)" >&2
        exit 1
    fi
    if [ -n "${PULUMI_BACKEND_URL:-}" ] && [ -z "${PULUMI_CONFIG_PASSPHRASE:-}" ]; then
        echo "::notice::PULUMI_CONFIG_PASSPHRASE is not set: fine for a stack whose secrets provider is a KMS, not for a passphrase stack"
    fi
    ;;
write-key)
    file=$(key_path "${2:?stack}")
    if [ -z "$file" ]; then
        echo "stack ${2} holds its SSH key as the secret sshPrivateKey: no key file to write"
    elif [ -z "${SSH_KEY:-}" ]; then
        [ -f "$file" ] || { echo "::error::stack ${2} reads its SSH key from $file: set the secret PAPERLESS_HA_SSH_KEY" >&2; exit 1; }
        echo "stack ${2} reads the SSH key already at $file"
    elif [ -e "$file" ]; then
        echo "::error::$file exists on this runner: refusing to overwrite it with PAPERLESS_HA_SSH_KEY" >&2
        exit 1
    else
        install -d -m 700 "$(dirname "$file")"
        (umask 077 && printf '%s\n' "$SSH_KEY" > "$file")
        printf '%s\n' "$file" > "$marker"
        echo "SSH key written to $file for this run"
    fi
    ;;
remove-key)
    file=$(key_path "${2:?stack}")
    if [ -n "$file" ] && [ -f "$marker" ] && [ "$(cat "$marker")" = "$file" ]; then
        rm -f "$file" "$marker"
        echo "SSH key removed from $file"
    fi
    ;;
*)
    echo "usage: ci-stack.sh check | write-key STACK | remove-key STACK" >&2
    exit 2
    ;;
esac
