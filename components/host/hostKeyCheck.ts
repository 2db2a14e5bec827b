import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import * as command from "@pulumi/command";
import { ClusterConfig, NodeSpec } from "../config";
import { HostLogin, SCRIPT_DIR } from "./remoteScript";

/** What the program sends to hosts besides the config: its host scripts and image recipes. */
const SENT_DIRS = [SCRIPT_DIR, path.join(__dirname, "..", "..", "images")];

function filesUnder(dir: string): string[] {
    return fs.readdirSync(dir, { withFileTypes: true })
        .flatMap((e) => (e.isDirectory() ? filesUnder(path.join(dir, e.name)) : [path.join(dir, e.name)]))
        .sort();
}

/**
 * Changes whenever a run may change something on a host: the cluster config, or what the program
 * sends (scripts, image recipes). Not secret: a digest.
 */
export function runDigest(c: ClusterConfig): string {
    const hash = createHash("sha256").update(JSON.stringify(c));
    for (const file of SENT_DIRS.flatMap(filesUnder)) hash.update(`\0${path.relative(SENT_DIRS[0], file)}\0`).update(fs.readFileSync(file));
    return hash.digest("hex");
}

/**
 * Per node, one connection that checks the host's key (and, for a sudo login, password-less sudo),
 * made again whenever the run's digest changes. Every change on any host waits for all of them, so
 * a host showing another key stops the run before anything anywhere changes.
 */
export function hostKeyChecks(c: ClusterConfig, loginOf: (n: NodeSpec) => HostLogin): command.remote.Command[] {
    const digest = runDigest(c);
    return c.nodes.map((n) => {
        const login = loginOf(n);
        const check = login.sudo ? "sudo -n true" : "true";
        return new command.remote.Command(`${n.name}-host-key-check`, {
            connection: login.connection,
            create: check,
            update: check,
            triggers: [digest],
        });
    });
}
