import * as pulumi from "@pulumi/pulumi";
import { ClusterConfig } from "../config";
import { Host, hostScript, runScript } from "../host";
import {
    REDIS_CONF_DIR, REDIS_MASTER_NAME, RedisSecrets, renderRedisConf, renderRedisDropIn, renderRoleConf, renderSentinelConf,
    redisPortOn, ROLE_HELPER, SENTINEL_STATE_FILE, sentinelNodes,
} from "./redisConf";

export interface RedisHaArgs {
    cluster: ClusterConfig;
    hosts: Record<string, Host>;
    secrets: pulumi.Output<RedisSecrets>;
}

/**
 * Redis on every data node and Sentinel on every node: Sentinel elects the master when the one in
 * charge is lost, and each node's HAProxy (see haproxyCfg) sends Paperless to whichever Redis says it
 * is the master, so Paperless keeps one URL.
 */
export class RedisHa extends pulumi.ComponentResource {
    /** Per node: its Redis (on a data node) and its Sentinel answer. */
    public readonly ready: Record<string, pulumi.Resource>;

    constructor(name: string, args: RedisHaArgs, opts?: pulumi.ComponentResourceOptions) {
        super("paperless-ha:redis:RedisHa", name, {}, opts);
        const { cluster: c, hosts } = args;
        const deleteEnv = { CONF_DIR: REDIS_CONF_DIR, HELPER: ROLE_HELPER, STATE_FILE: SENTINEL_STATE_FILE };
        this.ready = Object.fromEntries(sentinelNodes(c).map((n) => {
            const data = !n.arbiter;
            const secret = (f: (s: RedisSecrets) => string) => pulumi.secret(args.secrets.apply(f));
            return [n.name, runScript(`${name}-${n.name}`, {
                login: hosts[n.name].login,
                script: "redis",
                env: {
                    ...deleteEnv,
                    ROLE_SH: hostScript("tools/paperless-ha-redis-role"),
                    ROLE_CONF: renderRoleConf(c, n),
                    SENTINEL_CONF: secret((s) => renderSentinelConf(c, n, s)),
                    SENTINEL_PASSWORD: secret((s) => s.sentinelPassword),
                    SENTINEL_PORT: String(c.app.sentinelPort),
                    MASTER_NAME: REDIS_MASTER_NAME,
                    REDIS_CONF: data ? secret((s) => renderRedisConf(c, n, s)) : "",
                    REDIS_DROP_IN: data ? renderRedisDropIn() : "",
                    REDIS_PORT: redisPortOn(c, n),
                },
                deleteScript: "redis-delete",
                deleteEnv,
            }, { parent: this, dependsOn: [...hosts[n.name].ready, hosts[n.name].firewall] })];
        }));
        this.registerOutputs({});
    }
}
