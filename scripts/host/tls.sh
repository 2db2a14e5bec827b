#!/usr/bin/env bash
# Install the cluster CA and this node's certificate and key, and the CA alone where whatever only
# verifies reads it (and containers mount it) without the key beside it.
# Reads: CA_CERT, NODE_CERT, NODE_KEY.
set -euo pipefail
: "${CA_CERT:?}" "${NODE_CERT:?}" "${NODE_KEY:?}"
dir=/etc/paperless-ha/tls
install -d -m 0755 "$dir" /etc/paperless-ha/ca
put_file "$dir/ca.crt" 0644 "$CA_CERT"
put_file "$dir/node.crt" 0644 "$NODE_CERT"
put_file "$dir/node.key" 0600 "$NODE_KEY"
put_file /etc/paperless-ha/ca/ca.crt 0644 "$CA_CERT"
