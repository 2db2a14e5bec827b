import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { ClusterConfig } from "../config";
import { HostLogin, runScript } from "../host";
import { ETCD_PATRONI_USER, etcdPatroniPrefix, ETCD_ROOT_DIR } from "./patroniConf";

export interface EtcdAuthArgs {
    cluster: ClusterConfig;
    /** A member's host, where etcd's root certificate is (the etcd step wrote it). */
    login: HostLogin;
    /** That member's client URL. */
    endpoint: string;
    /** The cluster CA's certificate on that host. */
    caCert: string;
    patroniPassword: pulumi.Input<string>;
    /** swarm: etcdctl runs from this image, the hosts have none. */
    image?: string;
}

/**
 * etcd's access control (scripts/host/etcd-auth.sh): run after every Patroni has its etcd user's
 * password and certificate, since from then on a client without a user gets nothing.
 */
export function etcdAuth(name: string, args: EtcdAuthArgs, opts: pulumi.CustomResourceOptions): command.remote.Command {
    const env: Record<string, pulumi.Input<string>> = {
        ENDPOINT: args.endpoint,
        CA_CERT: args.caCert,
        ROOT_DIR: ETCD_ROOT_DIR,
        PATRONI_USER: ETCD_PATRONI_USER,
        PATRONI_PREFIX: etcdPatroniPrefix(args.cluster),
        PATRONI_PASSWORD: args.patroniPassword,
        ...(args.image ? { IMAGE: args.image } : {}),
    };
    return runScript(name, { login: args.login, script: "etcd-auth", env }, opts);
}
