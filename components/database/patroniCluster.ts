import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { runScript } from "../host";
import { PatroniArgs } from "./databaseArgs";
import { etcdAuth } from "./etcdAuth";
import { classicLayout, ETCD_ROOT_DIR, ETCD_TLS_DIR, etcdUrl, patroniConfig, PATRONI_DATA_DIR, primaryConninfo, renderDcsSettings, renderEtcdEnv, renderPatroniYml, restAddress } from "./patroniConf";
import { PG_TLS_DIR } from "./postgresConf";

/**
 * PostgreSQL with one writer and automatic failover: etcd on every node, Patroni on every data
 * node with synchronous replication; once a leader exists, the application role and database are
 * created through it.
 */
export class PatroniCluster extends pulumi.ComponentResource {
    /** Per data node: the cluster has a primary and the application database exists. */
    public readonly members: Record<string, command.remote.Command>;
    public readonly endpoints: Record<string, string>;

    constructor(name: string, args: PatroniArgs, opts?: pulumi.ComponentResourceOptions) {
        super("paperless-ha:database:PatroniCluster", name, {}, opts);
        const { cluster: c, hosts } = args;
        const db = c.database;
        const retain = c.storage.retainOnDestroy ? "1" : "0";

        const etcd = c.nodes.map((n) => runScript(`${name}-${n.name}-etcd`, {
            login: hosts[n.name].login,
            script: "etcd",
            env: {
                NODE_NAME: n.name,
                ETCD_ENV: renderEtcdEnv(c, n),
                TLS_DIR: ETCD_TLS_DIR,
                PEER_URL: etcdUrl(n.clusterAddress, 2380),
                OTHERS: c.nodes.filter((o) => o.name !== n.name).map((o) => etcdUrl(o.clusterAddress, 2379)).join(" "),
                // One node removes the members of nodes taken off the list.
                ...(n.name === c.first.name ? { KEEP: c.nodes.map((o) => etcdUrl(o.clusterAddress, 2380)).join(" ") } : {}),
                ROOT_DIR: ETCD_ROOT_DIR,
                ROOT_CERT: args.etcd.root.certPem,
                ROOT_KEY: args.etcd.root.keyPem,
            },
            deleteScript: "etcd-delete",
            deleteEnv: { ROOT_DIR: ETCD_ROOT_DIR },
        }, { parent: this, dependsOn: [...hosts[n.name].ready, hosts[n.name].firewall] }));

        const secrets = pulumi.all([args.superuserPassword, args.replicationPassword, args.restApiPassword, args.etcd.patroniPassword])
            .apply(([superuserPassword, replicationPassword, restApiPassword, etcdPassword]) => ({ superuserPassword, replicationPassword, restApiPassword, etcdPassword }));
        const patroni = c.dataNodes.map((n) => runScript(`${name}-${n.name}-patroni`, {
            login: hosts[n.name].login,
            script: "patroni",
            env: {
                NODE_NAME: n.name,
                PG_VERSION: db.postgresVersion,
                TLS_DIR: PG_TLS_DIR,
                DATA_DIR: PATRONI_DATA_DIR(db.postgresVersion),
                REST_ADDRESS: restAddress(c, n),
                CONFIG: secrets.apply((s) => renderPatroniYml(patroniConfig(c, n, classicLayout(c, s)))),
                ETCD_CLIENT_CERT: args.etcd.client.certPem,
                ETCD_CLIENT_KEY: args.etcd.client.keyPem,
            },
            deleteScript: "patroni-delete",
            deleteEnv: { DATA_DIR: PATRONI_DATA_DIR(db.postgresVersion), RETAIN: retain },
        }, { parent: this, dependsOn: etcd }));

        // Once every Patroni signs in to etcd, etcd asks every client who it is.
        const access = etcdAuth(`${name}-etcd-auth`, {
            cluster: c,
            login: hosts[c.first.name].login,
            endpoint: etcdUrl("127.0.0.1", 2379),
            caCert: `${ETCD_TLS_DIR}/ca.crt`,
            patroniPassword: args.etcd.patroniPassword,
        }, { parent: this, dependsOn: patroni });

        const target = primaryConninfo(c);
        const ready = runScript(`${name}-bootstrap`, {
            login: hosts[c.first.name].login,
            script: "patroni-bootstrap",
            env: {
                PG_HOSTS: target.hosts,
                PG_PORT: target.port,
                CA_CERT: `${PG_TLS_DIR}/ca.crt`,
                SUPERUSER_PASSWORD: args.superuserPassword,
                DB_NAME: db.name,
                APP_USER: db.user,
                APP_PASSWORD: args.appPassword,
            },
        }, { parent: this, dependsOn: [access] });

        runScript(`${name}-dcs`, {
            login: hosts[c.first.name].login,
            script: "patroni-dcs",
            env: { DCS_SETTINGS: renderDcsSettings(c) },
        }, { parent: this, dependsOn: [ready] });

        this.members = Object.fromEntries(c.dataNodes.map((n) => [n.name, ready]));
        this.endpoints = Object.fromEntries(c.dataNodes.map((n) => [n.name, `${n.clusterAddress}:${db.port}`]));
        this.registerOutputs({ endpoints: this.endpoints });
    }
}
