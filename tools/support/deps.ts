/**
 * The mock monitor hands `newResource` no dependency list; read it off each register request, so
 * the unit tests can assert the graph itself and the engine can destroy in dependency order; the
 * parent too, so a plan can be printed as the tree `pulumi preview` shows.
 */
import * as mocks from "@pulumi/pulumi/runtime/mocks";

interface RegisterRequest {
    getName(): string;
    getDependenciesList(): string[];
    getParent(): string;
}

const direct = new Map<string, string[]>();
const parents = new Map<string, string>();
const nameOf = (urn: string) => urn.split("::").pop() ?? urn;
const monitorProto = (mocks as unknown as { MockMonitor: { prototype: { registerResource(req: RegisterRequest, cb: unknown): unknown } } })
    .MockMonitor.prototype;
const register = monitorProto.registerResource;
monitorProto.registerResource = function (req: RegisterRequest, cb: unknown) {
    direct.set(req.getName(), req.getDependenciesList().map(nameOf));
    if (req.getParent()) parents.set(req.getName(), nameOf(req.getParent()));
    return register.call(this, req, cb);
};

/** Names of the resources `name` directly depends on (dependsOn and data), as last registered. */
export const dependenciesOf = (name: string): string[] => direct.get(name) ?? [];

/** The name of the component `name` was registered under, if any (the stack itself is none). */
export const parentOf = (name: string): string | undefined => parents.get(name);
