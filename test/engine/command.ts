import { Client, ConnectConfig } from "ssh2";

export interface Connection {
    host: string;
    port?: number;
    user?: string;
    privateKey?: string;
    /** `type base64`: the only key the host may show (the provider's FixedHostKey); absent, any key. */
    hostKey?: string;
    dialErrorLimit?: number;
    perDialTimeout?: number;
}

export interface CommandResult {
    stdout: string;
    stderr: string;
}

/** Variables a stock Debian sshd accepts (AcceptEnv LANG LC_*); the real provider fails on others. */
const ACCEPTED_ENV = /^(LANG|LC_[A-Z_]+)$/;

function dial(conn: Connection): Promise<Client> {
    const cfg: ConnectConfig = {
        host: conn.host,
        port: conn.port ?? 22,
        username: conn.user ?? "root",
        privateKey: conn.privateKey,
        readyTimeout: (conn.perDialTimeout ?? 15) * 1000,
    };
    let mismatch = false;
    if (conn.hostKey) {
        // As the provider does: ask for the pinned key's type only, accept only that key.
        const [type, blob] = conn.hostKey.trim().split(/\s+/);
        const want = Buffer.from(blob, "base64");
        cfg.algorithms = { serverHostKey: [type as "ssh-ed25519"] };
        cfg.hostVerifier = (key: Buffer) => {
            mismatch = !key.equals(want);
            return !mismatch;
        };
    }
    return new Promise((resolve, reject) => {
        const client = new Client();
        client.once("ready", () => resolve(client)).once("error", (e: Error) => {
            reject(mismatch ? new Error(`ssh: handshake failed: host key mismatch: ${conn.host} does not show the key this stack expects`) : e);
        }).connect(cfg);
    });
}

async function dialWithRetries(conn: Connection): Promise<Client> {
    const limit = conn.dialErrorLimit ?? 10;
    let last: unknown;
    for (let attempt = 1; attempt <= limit; attempt++) {
        try {
            return await dial(conn);
        } catch (e) {
            last = e;
            await new Promise((r) => setTimeout(r, Math.min(attempt, 5) * 1000));
        }
    }
    throw new Error(`ssh: could not dial ${conn.host}:${conn.port ?? 22} after ${limit} attempts: ${(last as Error).message}`);
}

/**
 * Run one command over SSH the way `command.remote.Command` does: the command line as given,
 * `stdin` written to it, stdout and stderr captured, a non-zero exit an error.
 */
export async function runRemote(conn: Connection, command: string, stdin?: string, environment?: Record<string, string>): Promise<CommandResult> {
    for (const k of Object.keys(environment ?? {})) {
        if (!ACCEPTED_ENV.test(k)) {
            throw new Error(`ssh: setenv failed for '${k}': the server does not accept it (sshd AcceptEnv); pass values on stdin instead`);
        }
    }
    const client = await dialWithRetries(conn);
    try {
        return await new Promise<CommandResult>((resolve, reject) => {
            client.exec(command, { env: environment }, (err, stream) => {
                if (err) return reject(err);
                let stdout = "";
                let stderr = "";
                stream.on("data", (d: Buffer) => { stdout += d.toString(); });
                stream.stderr.on("data", (d: Buffer) => { stderr += d.toString(); });
                stream.on("close", (code: number | null) => {
                    if (code === 0) resolve({ stdout, stderr });
                    else reject(new Error(`Process exited with status ${code}: running "${command}":\n${stdout}\n${stderr}`));
                });
                if (stdin !== undefined) stream.end(stdin);
                else stream.end();
            });
        });
    } finally {
        client.end();
    }
}
