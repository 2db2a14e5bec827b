import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { ClusterConfig } from "../config";
import { Host, hostScript, runScript } from "../host";
import { renderBackupEnv, renderBackupUnits, renderPgpass } from "./backupConf";

export interface ClusterBackupArgs {
    cluster: ClusterConfig;
    hosts: Record<string, Host>;
    appPassword: pulumi.Input<string>;
    /** The database and the shared volume the backups read, ready. */
    after: pulumi.Resource[];
}

/**
 * Scheduled backups on the singleton node (it has the shared volume mounted and a route to the
 * primary): a systemd timer runs paperless-ha-backup; paperless-ha-restore puts one back.
 */
export class ClusterBackup extends pulumi.ComponentResource {
    public readonly installed: command.remote.Command;
    /** The passphrase of encrypted backups, when `backup.encrypt` is set. */
    public readonly passphrase?: pulumi.Output<string>;

    constructor(name: string, args: ClusterBackupArgs, opts?: pulumi.ComponentResourceOptions) {
        super("paperless-ha:backup:ClusterBackup", name, {}, opts);
        const { cluster: c } = args;
        const node = c.singleton;
        if (c.backup.encrypt) {
            this.passphrase = new random.RandomPassword(`${name}-passphrase`, { length: 48, special: false }, { parent: this }).result;
        }
        const units = renderBackupUnits(c);
        this.installed = runScript(`${name}-${node.name}-timer`, {
            login: args.hosts[node.name].login,
            script: "backup",
            env: {
                SCHEDULE: c.backup.schedule,
                BACKUP_ENV: renderBackupEnv(c),
                PGPASS: pulumi.output(args.appPassword).apply((p) => renderPgpass(c, p)),
                BACKUP_KEY: this.passphrase ?? "",
                BACKUP_SH: hostScript("tools/paperless-ha-backup"),
                RESTORE_SH: hostScript("tools/paperless-ha-restore"),
                SERVICE: units.service,
                TIMER: units.timer,
            },
            deleteScript: "backup-delete",
        }, { parent: this, dependsOn: args.after });
        this.registerOutputs({});
    }
}
