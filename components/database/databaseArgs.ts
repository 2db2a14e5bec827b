import * as pulumi from "@pulumi/pulumi";
import { ClusterConfig } from "../config";
import { Host } from "../host";
import { KeyPair } from "../pki";

/** What either database engine is built from. */
export interface DatabaseArgs {
    cluster: ClusterConfig;
    hosts: Record<string, Host>;
    /** The `postgres` superuser. */
    superuserPassword: pulumi.Output<string>;
    /** pgactive's peer superuser, or Patroni's replication role. */
    replicationPassword: pulumi.Output<string>;
    /** The application role. */
    appPassword: pulumi.Output<string>;
}

/** Patroni's, besides: the password its REST API asks of unsafe methods, and its etcd identities. */
export interface PatroniArgs extends DatabaseArgs {
    restApiPassword: pulumi.Output<string>;
    etcd: EtcdAccess;
}

/** Who may do what in etcd (see ClusterPki's `etcdRoot` and `etcdClient`). */
export interface EtcdAccess {
    /** The deploy steps' certificate: etcd's root user. */
    root: KeyPair;
    /** Patroni's certificate, with no user in it. */
    client: KeyPair;
    /** Patroni's etcd user's. */
    patroniPassword: pulumi.Output<string>;
}
