#!/usr/bin/env bash
# Stop exporting metrics on this node. Packages stay (the base step owns them), and so does
# Prometheus's stored history under /var/lib/prometheus.
# Reads: RULES_PATH, TEXTFILE_DIR.
set -euo pipefail
: "${RULES_PATH:?}" "${TEXTFILE_DIR:?}"
for unit in paperless-ha-metrics.timer prometheus-node-exporter prometheus-postgres-exporter prometheus; do
    systemctl disable --now "$unit" >/dev/null 2>&1 || true
done
rm -f /etc/systemd/system/paperless-ha-metrics.timer /etc/systemd/system/paperless-ha-metrics.service \
    /usr/local/sbin/paperless-ha-metrics /etc/paperless-ha/metrics.env \
    /etc/systemd/system/prometheus-postgres-exporter.service.d/paperless-ha.conf \
    "$RULES_PATH" "$TEXTFILE_DIR/paperless_ha.prom"
systemctl daemon-reload
echo "metrics stopped; Prometheus history kept in /var/lib/prometheus" >&2
