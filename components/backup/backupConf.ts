import { HOST_CA_CERT } from "../host/paths";
import { databaseRoute } from "../app/paperlessEnv";
import { renderShellVars } from "../host/quote";
import { ClusterConfig, sharedMount } from "../config";
import { TEXTFILE_DIR } from "../monitoring/monitoringConf";

/**
 * The database as the singleton's instance reaches it: its node's route to the primary or the
 * pgactive writer (classic, TLS checked against the cluster CA) or its PgBouncer on loopback (swarm).
 */
const route = (c: ClusterConfig) => {
    const env = databaseRoute(c);
    return { host: env.PAPERLESS_DBHOST, port: env.PAPERLESS_DBPORT, sslMode: env.PAPERLESS_DBSSLMODE };
};

/** /etc/paperless-ha/backup.env, read by paperless-ha-backup and -restore; no secret in it. Pure. */
export function renderBackupEnv(c: ClusterConfig): string {
    const { host, port, sslMode } = route(c);
    const vars: Record<string, string> = {
        BACKUP_DIR: c.backup.directory,
        KEEP: String(c.backup.keep),
        DB_HOST: host,
        DB_PORT: port,
        DB_NAME: c.database.name,
        DB_USER: c.database.user,
        DB_SSLMODE: sslMode,
        MEDIA_DIR: `${sharedMount(c)}/media`,
        // The restore has GlusterFS heal what its writes left pending on a replica.
        VOLUME: c.storage.backend === "glusterfs" ? c.storage.gluster.volume : "",
        CA_CERT: HOST_CA_CERT,
        ENCRYPT: c.backup.encrypt ? "1" : "0",
        REMOTE: c.backup.remote ?? "",
        TEXTFILE_DIR,
    };
    return renderShellVars(vars);
}

/** A libpq password file line for the application role on that route. Pure. */
export function renderPgpass(c: ClusterConfig, password: string): string {
    const { host, port } = route(c);
    const esc = (s: string) => s.replace(/[\\:]/g, (m) => `\\${m}`);
    return `${[host, port, c.database.name, c.database.user, password].map(esc).join(":")}\n`;
}

/** The oneshot service and its timer. Pure. */
export function renderBackupUnits(c: ClusterConfig): { service: string; timer: string } {
    return {
        service: [
            "[Unit]",
            "Description=paperless-ha backup of the database and media",
            `RequiresMountsFor=${sharedMount(c)}`,
            "",
            "[Service]",
            "Type=oneshot",
            "ExecStart=/usr/local/sbin/paperless-ha-backup",
            "Nice=10",
            "IOSchedulingClass=idle",
            "",
        ].join("\n"),
        timer: [
            "[Unit]",
            "Description=paperless-ha backup schedule",
            "",
            "[Timer]",
            `OnCalendar=${c.backup.schedule}`,
            // A backup missed while the node was off runs when it is back.
            "Persistent=true",
            "RandomizedDelaySec=300",
            "",
            "[Install]",
            "WantedBy=timers.target",
            "",
        ].join("\n"),
    };
}
