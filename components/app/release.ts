/** The app's container on each classic node (its name is fixed, so a replacement waits for the old one to go). */
export const APP_CONTAINER = "paperless-ha-app";

/** The release an image reference names by its tag (`…:2.20.15`, `…:v3.0`), if it names one. Pure. */
export function imageVersion(image: string): string | undefined {
    if (image.includes("@")) return undefined;
    const tag = /:([^:/]+)$/.exec(image)?.[1];
    return tag && /^v?\d+\.\d+(\.\d+)?$/.test(tag) ? tag.replace(/^v/, "") : undefined;
}

/**
 * Paperless-ngx migrates its database forward only, and each major release starts from the last
 * release of the one before: major => the release an upgrade to it must start from.
 */
export const MAJOR_UPGRADE_FROM: Record<number, string> = { 3: "2.20.15" };

/** Where each node records the major release its search index was last built for. */
export const INDEX_RECORD = "/var/lib/paperless-ha/app-index-major";
