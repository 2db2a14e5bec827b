/** Quoting for the files host scripts and services read; pure, usable from any renderer. */
import { hasControlChars } from "../config/rules";

/** POSIX single-quote a value so the shell takes it literally. */
export function shellQuote(value: string): string {
    return `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * A file of `NAME='value'` lines that a root script sources: each value quoted, so nothing in it
 * runs, and refused when it holds a control character (a value is one line). Pure.
 */
export function renderShellVars(vars: Record<string, string>): string {
    return Object.entries(vars).map(([k, v]) => {
        if (!/^[A-Z_][A-Z0-9_]*$/.test(k)) throw new Error(`invalid variable name '${k}'`);
        if (hasControlChars(v)) throw new Error(`${k}: a value with control characters cannot go into an env file`);
        return `${k}=${shellQuote(v)}`;
    }).join("\n") + "\n";
}
