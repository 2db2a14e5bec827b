#!/usr/bin/env bash
# Install the cluster CA and this node's certificate and key. Reads: CA_CERT, NODE_CERT, NODE_KEY.
set -euo pipefail
: "${CA_CERT:?}" "${NODE_CERT:?}" "${NODE_KEY:?}"
dir=/etc/paperless-ha/tls
install -d -m 0755 "$dir"
umask 077
put() { # put FILE MODE CONTENT: replace only when different
    if ! printf '%s' "$3" | cmp -s - "$1"; then
        printf '%s' "$3" > "$1.new" && chmod "$2" "$1.new" && mv "$1.new" "$1"
    fi
}
put "$dir/ca.crt" 0644 "$CA_CERT"
put "$dir/node.crt" 0644 "$NODE_CERT"
put "$dir/node.key" 0600 "$NODE_KEY"
