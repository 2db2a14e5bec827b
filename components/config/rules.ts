import { isIP } from "node:net";

/**
 * What a config value must look like before it may reach a host: each rule is a pure predicate
 * with the message that names what was expected. Writers quote as well; these rules keep values
 * to what each setting can mean, so nothing surprising reaches a file in the first place.
 */

/** Any C0 control character or DEL: a newline starts a new line in every file a value lands in. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
export const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;
export const hasControlChars = (s: string): boolean => CONTROL_CHARS.test(s);

/**
 * Directories the system owns: a data path may be none of these, and may not lie under the first
 * group at all (chown, read-write mounts and `rm -rf` on destroy must never reach them).
 */
const SYSTEM_TREES = ["/bin", "/boot", "/dev", "/etc", "/lib", "/lib32", "/lib64", "/libx32", "/proc", "/root", "/run", "/sbin", "/sys",
    "/usr", "/var/lib/apt", "/var/lib/docker", "/var/lib/dpkg", "/var/lib/glusterd", "/var/lib/postgresql", "/var/lib/systemd",
    "/var/log", "/var/spool"];
const SYSTEM_DIRS = ["/", "/home", "/media", "/mnt", "/opt", "/srv", "/tmp", "/var", "/var/backups", "/var/cache", "/var/lib",
    "/var/local", "/var/mail", "/var/opt", "/var/tmp"];

const PATH_CHARS = /^\/[A-Za-z0-9._/-]*$/;

/** An absolute path of plain characters, without `.` or `..` segments or doubled slashes; the message when not. */
export function pathProblem(p: string): string | undefined {
    if (!PATH_CHARS.test(p)) return "must be an absolute path of letters, digits and . _ - /";
    const parts = p.split("/").slice(1);
    if (p !== "/" && parts.some((s) => s === "" || s === "." || s === "..")) return "must be a normalised absolute path (no '.', '..', '//' or trailing '/')";
    return undefined;
}

/** A directory the program may own (create, chown, mount, delete on destroy); the message when not. */
export function dataDirProblem(p: string): string | undefined {
    const bad = pathProblem(p);
    if (bad) return bad;
    const tree = SYSTEM_TREES.find((t) => p === t || p.startsWith(`${t}/`));
    if (tree) return `must not be in ${tree}, a system directory`;
    if (SYSTEM_DIRS.includes(p)) return `must not be ${p} itself, a system directory; use a directory of its own under it`;
    return undefined;
}

// The reference grammar of Docker's distribution library: [domain[:port]/]path[:tag][@digest].
const DOMAIN_PART = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const DOMAIN = `(?:${DOMAIN_PART}(?:\\.${DOMAIN_PART})*|\\[[0-9a-fA-F:]+\\])(?::[0-9]+)?`;
const PATH_COMPONENT = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
const TAG = "[\\w][\\w.-]{0,127}";
const DIGEST = "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}";
const IMAGE_REF = new RegExp(`^(?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*(?::${TAG})?(?:@${DIGEST})?$`);

/** A Docker image reference by its grammar (`registry:5000/name/sub:tag@sha256:…`). */
export const isImageRef = (s: string): boolean => s.length <= 255 && IMAGE_REF.test(s);

/** An address or network in CIDR notation (`10.0.0.0/8`, `2001:db8::/32`, or one address). */
export function isCidr(s: string): boolean {
    const [addr, len, ...rest] = s.split("/");
    if (rest.length > 0) return false;
    const family = isIP(addr);
    if (family === 0) return false;
    if (len === undefined) return true;
    if (!/^[0-9]{1,3}$/.test(len)) return false;
    return Number(len) <= (family === 4 ? 32 : 128);
}

/** A sysctl key: dotted words, as `sysctl -w` and /etc/sysctl.d take them. */
export const SYSCTL_KEY = /^[a-z][a-z0-9_]*(\.[A-Za-z0-9_-]+)+$/;
/** A PostgreSQL setting name, a custom one (`auto_explain.log_min_duration`) included. */
export const PG_SETTING = /^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$/;
/** An IANA time zone name (`UTC`, `Europe/Berlin`, `America/Argentina/Buenos_Aires`, `Etc/GMT+1`). */
export const TIME_ZONE = /^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/;
/** A Django user name (the admin account). */
export const DJANGO_USER = /^[A-Za-z0-9@.+_-]{1,150}$/;
/** An e-mail address, plainly. */
export const EMAIL = /^[A-Za-z0-9.!#$%&*+=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*$/;
/** A Unix login name. */
export const LOGIN = /^[a-z_][a-z0-9_-]{0,31}$/;
/** A Debian package name. */
export const DEB_PACKAGE = /^[a-z0-9][a-z0-9+.-]+$/;
/** A GlusterFS volume option (`performance.cache-size`). */
export const GLUSTER_OPTION = /^[a-z][a-z0-9-]*(\.[a-z0-9-]+)+$/;

const WEEKDAY = "(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*";
const WEEKDAYS = new RegExp(`^${WEEKDAY}(?:(?:\\.\\.|-)${WEEKDAY})?(?:,${WEEKDAY}(?:(?:\\.\\.|-)${WEEKDAY})?)*$`, "i");
// One component of a date or time: *, or numbers with ranges, steps and lists (`1..5`, `0/15`, `1,15`).
const VALUES = "(?:\\*|[0-9]+(?:\\.\\.[0-9]+)?)(?:/[0-9]+)?(?:,(?:\\*|[0-9]+(?:\\.\\.[0-9]+)?)(?:/[0-9]+)?)*";
const DATE = new RegExp(`^${VALUES}-${VALUES}(?:~|-)${VALUES}$|^${VALUES}(?:~|-)${VALUES}$`);
const TIME = new RegExp(`^${VALUES}:${VALUES}(?::${VALUES}(?:\\.[0-9]+)?)?$`);
const CALENDAR_SHORTHANDS = ["minutely", "hourly", "daily", "weekly", "monthly", "yearly", "annually", "quarterly", "semiannually"];

/**
 * A systemd `OnCalendar=` expression: a shorthand (`daily`) or `[weekdays] [date] [time] [UTC]`
 * (`Mon..Fri *-*-* 02:30:00`, `*-*-* 00/6:00`). Checked here so a bad schedule stops before any
 * change, not at the backup step halfway through a run.
 */
export function isCalendar(s: string): boolean {
    if (CALENDAR_SHORTHANDS.includes(s.toLowerCase())) return true;
    const words = s.trim().split(/ +/);
    if (words.length > 0 && /^(UTC|[A-Za-z]+\/[A-Za-z_]+)$/.test(words[words.length - 1]) && words.length > 1) words.pop();
    if (words.length > 0 && WEEKDAYS.test(words[0])) words.shift();
    if (words.length > 0 && DATE.test(words[0])) words.shift();
    if (words.length > 0 && TIME.test(words[0])) words.shift();
    return words.length === 0 && s.trim() !== "";
}

/** An https URL of plain characters (a download the hosts fetch). */
export function isHttpsUrl(s: string): boolean {
    if (!/^https:\/\/[A-Za-z0-9._~:/?#@!$&()*+,;=%{}-]+$/.test(s)) return false;
    try {
        return new URL(s.replace(/\{version\}/g, "v")).protocol === "https:";
    } catch {
        return false;
    }
}

const HOST_KEY_TYPES = ["ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521"];

/**
 * An SSH host public key as `/etc/ssh/ssh_host_ed25519_key.pub` or `ssh-keyscan` print it
 * (`ssh-ed25519 AAAA… [comment]`): a known type whose encoded blob names the same type.
 */
export function isHostKey(s: string): boolean {
    const [type, blob] = s.trim().split(/ +/);
    if (!HOST_KEY_TYPES.includes(type) || !blob || !/^[A-Za-z0-9+/]+={0,2}$/.test(blob)) return false;
    const raw = Buffer.from(blob, "base64");
    const len = raw.length >= 4 ? raw.readUInt32BE(0) : 0;
    return raw.subarray(4, 4 + len).toString("latin1") === type;
}
