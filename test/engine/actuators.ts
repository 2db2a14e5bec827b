import * as path from "node:path";
import { Connection, runRemote } from "./command";
import { ContainerInputs, createContainer, DockerClient, DockerEndpoint, ensureImage, removeContainer } from "./docker";
import { plain } from "../../tools/support/secrets";
import { ResourceState, StateStore } from "./state";
import { certRequest, locallySignedCert, privateKey, randomPassword, selfSignedCert } from "./tls";

export interface Context {
    store: StateStore;
    scratch: string;
    /** One client per Docker provider: its key material is written once. */
    docker: Map<string, DockerClient>;
}

export const newContext = (store: StateStore, scratch: string): Context => ({ store, scratch, docker: new Map() });

type Inputs = Record<string, unknown>;
type Result = { id: string; outputs: Record<string, unknown> };

/** How one resource type is created, updated in place (when its provider can) and deleted. */
export interface Actuator {
    create(inputs: Inputs, ctx: Context, provider?: string): Promise<Result>;
    /** Whether a change to these inputs is an in-place update rather than a replacement. */
    canUpdate(inputs: Inputs): boolean;
    update?(inputs: Inputs, prev: ResourceState, ctx: Context, provider?: string): Promise<Result>;
    delete(prev: ResourceState, ctx: Context): Promise<void>;
    /**
     * Replace by creating the new one first and deleting the old once the run is done (Pulumi's
     * default). Otherwise the old goes first, as the program's `deleteBeforeReplace` resources need.
     */
    createBeforeDelete?: boolean;
}

const str = (v: unknown) => (typeof v === "string" ? v : undefined);

function dockerFor(ctx: Context, provider: string | undefined): DockerClient {
    const known = provider ? ctx.docker.get(provider) : undefined;
    if (known) return known;
    const p = provider ? ctx.store.get("pulumi:providers:docker", provider) : undefined;
    if (!p) throw new Error(`no Docker provider '${provider}' in state (the default provider is not supported)`);
    const client = new DockerClient(plain(p.inputs) as DockerEndpoint, path.join(ctx.scratch, "docker", provider!));
    ctx.docker.set(provider!, client);
    return client;
}

const noop = async () => undefined;

/** command.remote.Command: create runs `create`; a change runs `update` when set, else replaces. */
const remoteCommand: Actuator = {
    async create(i) {
        const out = await runRemote(i.connection as Connection, String(i.create ?? "true"), str(i.stdin), i.environment as Record<string, string>);
        return { id: `cmd-${Date.now().toString(36)}`, outputs: { ...out } };
    },
    canUpdate: (i) => typeof i.update === "string",
    async update(i, prev) {
        const out = await runRemote(i.connection as Connection, String(i.update), str(i.stdin), i.environment as Record<string, string>);
        return { id: prev.id, outputs: { ...out } };
    },
    async delete(prev) {
        const del = str(prev.inputs.delete);
        if (del) await runRemote(prev.inputs.connection as Connection, del, undefined, prev.inputs.environment as Record<string, string>);
    },
};

const dockerProvider: Actuator = {
    create: async () => ({ id: `provider-${Date.now().toString(36)}`, outputs: {} }),
    canUpdate: () => true,
    update: async (_i, prev) => ({ id: prev.id, outputs: prev.outputs }),
    delete: noop,
};

const container: Actuator = {
    async create(i, ctx, provider) {
        const id = await createContainer(dockerFor(ctx, provider), i as unknown as ContainerInputs, path.join(ctx.scratch, "containers"));
        return { id, outputs: {} };
    },
    canUpdate: () => false,
    async delete(prev, ctx) {
        const grace = prev.inputs.destroyGraceSeconds;
        await removeContainer(dockerFor(ctx, prev.provider), String(prev.inputs.name), typeof grace === "number" ? grace : undefined);
    },
};

const remoteImage: Actuator = {
    async create(i, ctx, provider) {
        const img = await ensureImage(dockerFor(ctx, provider), String(i.name));
        return { id: img.imageId, outputs: { ...img } };
    },
    canUpdate: () => false,
    async delete(prev, ctx) {
        if (!prev.inputs.keepLocally) await dockerFor(ctx, prev.provider).tryRun(["rmi", String(prev.inputs.name)]);
    },
};

const volume: Actuator = {
    async create(i, ctx, provider) {
        const name = await dockerFor(ctx, provider).run(["volume", "create", String(i.name)]);
        return { id: name, outputs: { name } };
    },
    canUpdate: () => false,
    async delete(prev, ctx) {
        await dockerFor(ctx, prev.provider).tryRun(["volume", "rm", "-f", String(prev.inputs.name)]);
    },
};

/** docker.Secret and docker.ServiceConfig: immutable swarm objects, created from base64 data on stdin. */
const swarmObject = (kind: "secret" | "config"): Actuator => ({
    async create(i, ctx, provider) {
        const name = String(i.name);
        const data = Buffer.from(String(i.data ?? ""), "base64");
        const id = await dockerFor(ctx, provider).run([kind, "create", name, "-"], data);
        return { id, outputs: { name } };
    },
    canUpdate: () => false,
    async delete(prev, ctx) {
        await dockerFor(ctx, prev.provider).run([kind, "rm", String(prev.inputs.name)]);
    },
    // The service using the old one moves to the new name first.
    createBeforeDelete: true,
});

const generated = (make: (i: Inputs, ctx: Context) => Record<string, unknown>): Actuator => ({
    create: async (i, ctx) => ({ id: `gen-${Date.now().toString(36)}`, outputs: make(i, ctx) }),
    canUpdate: () => false,
    delete: noop,
});

type Subject = { commonName?: string; organization?: string; organizationalUnit?: string };

const ACTUATORS: Record<string, Actuator> = {
    "command:remote:Command": remoteCommand,
    "pulumi:providers:docker": dockerProvider,
    "docker:index/container:Container": container,
    "docker:index/remoteImage:RemoteImage": remoteImage,
    "docker:index/volume:Volume": volume,
    "docker:index/secret:Secret": swarmObject("secret"),
    "docker:index/serviceConfig:ServiceConfig": swarmObject("config"),
    "random:index/randomPassword:RandomPassword": generated((i) => ({
        result: randomPassword(Number(i.length ?? 16), i.special !== false),
    })),
    "tls:index/privateKey:PrivateKey": generated((i) => privateKey(String(i.algorithm ?? "RSA"), str(i.ecdsaCurve))),
    "tls:index/selfSignedCert:SelfSignedCert": generated((i, ctx) => ({
        certPem: selfSignedCert(ctx.scratch, {
            privateKeyPem: String(i.privateKeyPem), subject: i.subject as Subject, validityPeriodHours: Number(i.validityPeriodHours),
            isCaCertificate: Boolean(i.isCaCertificate), allowedUses: (i.allowedUses as string[]) ?? [],
        }),
    })),
    "tls:index/certRequest:CertRequest": generated((i, ctx) => ({
        certRequestPem: certRequest(ctx.scratch, {
            privateKeyPem: String(i.privateKeyPem), subject: i.subject as Subject,
            dnsNames: i.dnsNames as string[], ipAddresses: i.ipAddresses as string[],
        }),
    })),
    "tls:index/locallySignedCert:LocallySignedCert": generated((i, ctx) => ({
        certPem: locallySignedCert(ctx.scratch, {
            certRequestPem: String(i.certRequestPem), caCertPem: String(i.caCertPem), caPrivateKeyPem: String(i.caPrivateKeyPem),
            validityPeriodHours: Number(i.validityPeriodHours), allowedUses: (i.allowedUses as string[]) ?? [],
            isCaCertificate: Boolean(i.isCaCertificate),
        }),
    })),
};

export function actuatorFor(type: string): Actuator {
    const a = ACTUATORS[type];
    if (!a) throw new Error(`the engine has no actuator for resource type ${type}`);
    return a;
}
