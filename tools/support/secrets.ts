/**
 * Secret markers as the Pulumi runtime serializes them to a resource monitor, and the outputs each
 * provider marks secret (the SDKs ask the engine through additionalSecretOutputs).
 */
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

export const SECRET_OUTPUTS: Record<string, string[]> = {
    "random:index/randomPassword:RandomPassword": ["result", "bcryptHash"],
    "tls:index/privateKey:PrivateKey": ["privateKeyPem", "privateKeyOpenssh", "privateKeyPemPkcs8"],
    "command:remote:Command": ["stdout", "stderr"],
    "docker:index/secret:Secret": ["data"],
};

export function isSecretWrapper(v: unknown): v is { value: unknown } {
    return typeof v === "object" && v !== null && (v as Record<string, unknown>)[SIG_KEY] === SECRET_SIG;
}

/** Mark a value secret, as the runtime does on the wire. */
export function secretWrapper(value: unknown): { value: unknown } {
    return { [SIG_KEY]: SECRET_SIG, value } as { value: unknown };
}

/** The plain value with secret markers removed. */
export function plain(v: unknown): unknown {
    if (isSecretWrapper(v)) return plain(v.value);
    if (Array.isArray(v)) return v.map(plain);
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
    return v;
}

/** Strings reachable from `v` outside any secret marker, with their property paths. */
export function plainStrings(v: unknown, path = ""): { path: string; value: string }[] {
    if (isSecretWrapper(v)) return [];
    if (typeof v === "string") return [{ path, value: v }];
    if (Array.isArray(v)) return v.flatMap((x, i) => plainStrings(x, `${path}[${i}]`));
    if (v && typeof v === "object") return Object.entries(v).flatMap(([k, x]) => plainStrings(x, path ? `${path}.${k}` : k));
    return [];
}
