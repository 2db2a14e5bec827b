/**
 * A person at a browser: Debian's headless Chromium, driven by playwright-core, trusting the
 * cluster CA the way a desktop does (the user's NSS database), signs in to Paperless's web UI.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { chromium } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";

/**
 * Opens `url`, signs in as `user`, opens the document list and waits (bounded) until every title
 * in `expect` shows. Returns the list page's text; the page is kept as a screenshot at `screenshot`.
 */
export async function browserSignIn(url: string, caPem: string, user: string, password: string, titles: string[], screenshot: string): Promise<string> {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), "paperless-ha-browser-"));
    try {
        const nss = path.join(home, ".pki", "nssdb");
        fs.mkdirSync(nss, { recursive: true });
        const ca = path.join(home, "ca.crt");
        fs.writeFileSync(ca, caPem);
        execFileSync("certutil", ["-d", `sql:${nss}`, "-N", "--empty-password"]);
        execFileSync("certutil", ["-d", `sql:${nss}`, "-A", "-t", "C,,", "-n", "paperless-ha cluster CA", "-i", ca]);
        const browser = await chromium.launch({
            executablePath: CHROMIUM,
            env: { ...process.env, HOME: home },
            // No traffic beyond the test hosts: Chromium's own background connections stay off.
            args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-features=Translate,OptimizationHints,MediaRouter"],
        });
        try {
            const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
            page.setDefaultTimeout(60_000);
            await page.goto(url);
            await page.locator('input[name="login"]').fill(user);
            await page.locator('input[name="password"]').fill(password);
            await Promise.all([page.waitForURL((u) => !u.pathname.startsWith("/accounts/login")), page.locator('button[type="submit"]').click()]);
            await page.goto(new URL("/documents?sort=created&reverse=1", url).toString());
            for (const t of titles) await page.getByText(t, { exact: false }).first().waitFor();
            // Thumbnails load after the list; a bounded wait for them, the screenshot either way.
            await page.waitForLoadState("networkidle", { timeout: 15_000 }).catch(() => undefined);
            fs.mkdirSync(path.dirname(screenshot), { recursive: true });
            await page.screenshot({ path: screenshot, fullPage: true });
            return await page.locator("body").innerText();
        } finally {
            await browser.close();
        }
    } finally {
        fs.rmSync(home, { recursive: true, force: true });
    }
}
