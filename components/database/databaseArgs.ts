import * as pulumi from "@pulumi/pulumi";
import { ClusterConfig } from "../config";
import { Host } from "../host";

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

/** Patroni's, besides: the password its REST API asks of unsafe methods. */
export interface PatroniArgs extends DatabaseArgs {
    restApiPassword: pulumi.Output<string>;
}
