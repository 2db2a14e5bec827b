import * as pulumi from "@pulumi/pulumi";

/** Drains pending resource registrations; exported by the runtime but not in its typings. */
export const waitForRPCs = (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs;

/** Config as `pulumi config set --path` stores it: structured values JSON-encoded. */
export function stackConfig(config: Record<string, unknown>): Record<string, string> {
    return Object.fromEntries(Object.entries(config).map(([k, v]) => [`paperless-ha:${k}`, typeof v === "string" ? v : JSON.stringify(v)]));
}
