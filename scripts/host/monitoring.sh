#!/usr/bin/env bash
# Prometheus metrics on this node: node_exporter with the paperless-ha-metrics collector timer,
# postgres_exporter beside a host PostgreSQL, and on one node the Prometheus server with the
# cluster's alert rules. Packages come from the base step; this writes config and starts services.
# Reads: NODE_DEFAULTS, METRICS_ENV, METRICS_SH, SERVICE, TIMER, TEXTFILE_DIR; POSTGRES_DEFAULTS,
# PROMETHEUS_YML, RULES, RULES_PATH (each empty where not run here).
set -euo pipefail
: "${NODE_DEFAULTS:?}" "${METRICS_ENV:?}" "${METRICS_SH:?}" "${SERVICE:?}" "${TIMER:?}" "${TEXTFILE_DIR:?}"
changed=0
put() { # put PATH MODE CONTENT: write only when changed; sets changed=1 when it did
    if ! printf '%s' "$3" | cmp -s - "$1"; then
        install -D -m "$2" /dev/null "$1"
        printf '%s' "$3" > "$1"
        changed=1
    fi
}
# (re)start SERVICE when its config changed, start it when it is not running.
apply() {
    systemctl enable "$1" >/dev/null 2>&1
    if [ "$changed" = 1 ]; then systemctl restart "$1"; else systemctl start "$1"; fi
    changed=0
}

install -d -m 0755 "$TEXTFILE_DIR" /etc/paperless-ha
put /etc/paperless-ha/metrics.env 0644 "$METRICS_ENV"
put /usr/local/sbin/paperless-ha-metrics 0755 "$METRICS_SH"
put /etc/systemd/system/paperless-ha-metrics.service 0644 "$SERVICE"
put /etc/systemd/system/paperless-ha-metrics.timer 0644 "$TIMER"
systemctl daemon-reload
changed=0
systemctl enable --now paperless-ha-metrics.timer >&2
# One run now, so the first scrape already has the cluster's facts.
systemctl start paperless-ha-metrics.service

put /etc/default/prometheus-node-exporter 0644 "$NODE_DEFAULTS"
apply prometheus-node-exporter

if [ -n "${POSTGRES_DEFAULTS:-}" ]; then
    put /etc/default/prometheus-postgres-exporter 0644 "$POSTGRES_DEFAULTS"
    # Peer authentication maps the service's user to the database role of the same name.
    put /etc/systemd/system/prometheus-postgres-exporter.service.d/paperless-ha.conf 0644 $'[Service]\nUser=postgres\n'
    [ "$changed" = 0 ] || systemctl daemon-reload
    apply prometheus-postgres-exporter
fi

if [ -n "${PROMETHEUS_YML:-}" ]; then
    : "${RULES:?}" "${RULES_PATH:?}"
    put "$RULES_PATH" 0644 "$RULES"
    put /etc/prometheus/prometheus.yml 0644 "$PROMETHEUS_YML"
    # A bad file must not replace a running Prometheus's good one unnoticed.
    promtool check config /etc/prometheus/prometheus.yml >&2
    systemctl enable prometheus >/dev/null 2>&1
    # A reload, never a restart, for a new config: the targets it drops (Debian's defaults on the
    # first run) are marked stale at once instead of lingering as live series.
    if ! systemctl is-active -q prometheus; then
        systemctl start prometheus
    elif [ "$changed" = 1 ]; then
        systemctl reload prometheus
    fi
    changed=0
fi
for s in prometheus-node-exporter ${POSTGRES_DEFAULTS:+prometheus-postgres-exporter} ${PROMETHEUS_YML:+prometheus}; do
    systemctl is-active -q "$s" || { journalctl -u "$s" -n 20 --no-pager >&2; echo "$s did not start" >&2; exit 1; }
done
echo "metrics: node_exporter${POSTGRES_DEFAULTS:+, postgres_exporter}${PROMETHEUS_YML:+, Prometheus}" >&2
