/**
 * The mock monitor hands `newResource` no dependency list; read it off each register request, so
 * the unit tests can assert the graph itself and the engine can destroy in dependency order.
 */
import * as mocks from "@pulumi/pulumi/runtime/mocks";

interface RegisterRequest {
    getName(): string;
    getDependenciesList(): string[];
}

const direct = new Map<string, string[]>();
const monitorProto = (mocks as unknown as { MockMonitor: { prototype: { registerResource(req: RegisterRequest, cb: unknown): unknown } } })
    .MockMonitor.prototype;
const register = monitorProto.registerResource;
monitorProto.registerResource = function (req: RegisterRequest, cb: unknown) {
    direct.set(req.getName(), req.getDependenciesList().map((urn) => urn.split("::").pop() ?? urn));
    return register.call(this, req, cb);
};

/** Names of the resources `name` directly depends on (dependsOn and data), as last registered. */
export const dependenciesOf = (name: string): string[] => direct.get(name) ?? [];
