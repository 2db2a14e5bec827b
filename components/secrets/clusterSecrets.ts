import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";

/** Every generated credential of the cluster. RandomPassword results are secret from birth. */
export class ClusterSecrets extends pulumi.ComponentResource {
    /** PostgreSQL `postgres` superuser. */
    public readonly dbSuperuserPassword: pulumi.Output<string>;
    /** Superuser pgactive nodes connect to each other with. */
    public readonly replicationPassword: pulumi.Output<string>;
    /** Paperless database role. */
    public readonly appDbPassword: pulumi.Output<string>;
    /** Django SECRET_KEY shared by every Paperless instance (sessions must validate on any node). */
    public readonly paperlessSecretKey: pulumi.Output<string>;
    public readonly adminPassword: pulumi.Output<string>;
    /** Redis's default user: Paperless, the replicas and Sentinel. */
    public readonly redisPassword: pulumi.Output<string>;
    /** Sentinel's, between Sentinels and for their clients. */
    public readonly sentinelPassword: pulumi.Output<string>;
    /** HAProxy's Redis check user, who may only ask a Redis its role. */
    public readonly redisCheckPassword: pulumi.Output<string>;
    /** Patroni only: the REST API's user for unsafe methods (patronictl). */
    public readonly patroniApiPassword?: pulumi.Output<string>;
    /** Patroni only: Patroni's etcd user. */
    public readonly etcdPatroniPassword?: pulumi.Output<string>;
    /** Swarm only: the SeaweedFS filers' database role. */
    public readonly filerDbPassword?: pulumi.Output<string>;
    /** Swarm only: postgres_exporter's monitoring role. */
    public readonly metricsPassword?: pulumi.Output<string>;
    /** Swarm only: keys the suffixes of Docker secret names, so a name changes with its value yet tells nothing of it. */
    public readonly dockerNameKey?: pulumi.Output<string>;

    constructor(name: string, args: { swarm: boolean; patroni: boolean }, opts?: pulumi.ComponentResourceOptions) {
        super("paperless-ha:secrets:ClusterSecrets", name, {}, opts);
        // Alphanumeric passwords: they pass through SQL literals, URLs and env files unescaped.
        const password = (role: string, length: number) =>
            new random.RandomPassword(`${name}-${role}`, { length, special: false }, { parent: this }).result;
        this.dbSuperuserPassword = password("db-superuser", 32);
        this.replicationPassword = password("db-replication", 32);
        this.appDbPassword = password("db-app", 32);
        this.paperlessSecretKey = password("paperless-secret-key", 64);
        this.adminPassword = password("admin", 24);
        this.redisPassword = password("redis", 32);
        this.sentinelPassword = password("redis-sentinel", 32);
        this.redisCheckPassword = password("redis-check", 32);
        if (args.patroni) {
            this.patroniApiPassword = password("patroni-api", 32);
            this.etcdPatroniPassword = password("etcd-patroni", 32);
        }
        if (args.swarm) {
            this.filerDbPassword = password("db-filer", 32);
            this.metricsPassword = password("db-metrics", 32);
            this.dockerNameKey = password("docker-name-key", 32);
        }
        this.registerOutputs({});
    }
}
