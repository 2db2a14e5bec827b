/**
 * `tsx tools/sshKeyPath.ts STACK|FILE.yaml`: the file a stack reads its SSH key from
 * (`ssh.privateKeyPath`, `~/` expanded), or nothing when it holds the key as the secret
 * `sshPrivateKey`. CI writes the key there for one run (scripts/ci-stack.sh).
 */
import { resolveKeyPath } from "../components/config/load";
import { stackPath } from "./plan";
import { readStackFile } from "./support/stackFile";

const stack = process.argv[2];
if (!stack) {
    console.error("usage: tsx tools/sshKeyPath.ts STACK|FILE.yaml");
    process.exit(2);
}
const ssh = readStackFile(stackPath(stack), () => undefined).ssh as { privateKeyPath?: unknown } | undefined;
if (typeof ssh?.privateKeyPath === "string") console.log(resolveKeyPath(ssh.privateKeyPath));
