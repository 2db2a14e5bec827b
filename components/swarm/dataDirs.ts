import * as pulumi from "@pulumi/pulumi";
import { HostLogin, runScript } from "../host";

export interface DataDir {
    path: string;
    /** Octal mode, e.g. `0700`. */
    mode: string;
    /** `uid:gid`, when not root's. */
    owner?: string;
    /** Data (set aside on destroy when retained) rather than scratch state (always removed). */
    keep: boolean;
}

/**
 * The host directories one node's services of `stack` bind-mount (swarm refuses a missing
 * source). On destroy they wait for the stack's containers there to stop, then data is set aside
 * (`retain`) or removed, and scratch state is removed.
 */
export function dataDirs(name: string, login: HostLogin, stack: string, dirs: DataDir[], retain: boolean, opts: pulumi.CustomResourceOptions) {
    const paths = (keep: boolean) => dirs.filter((d) => d.keep === keep).map((d) => d.path).join("\n");
    return runScript(name, {
        login,
        script: "swarm-dirs",
        env: { DIRS: dirs.map((d) => [d.path, d.mode, ...(d.owner ? [d.owner] : [])].join(" ")).join("\n") + "\n" },
        deleteScript: "swarm-dirs-delete",
        deleteEnv: { STACK: stack, KEEP: paths(true), SCRATCH: paths(false), RETAIN: retain ? "1" : "0" },
    }, opts);
}
