import { existsSync } from "node:fs";
import { chromium, type Browser, type Page } from "playwright-core";

/** Debian's chromium (`apt-get install chromium`; .ci/run installs it when missing), or CHROMIUM_PATH. */
export function chromiumPath(): string {
  const path = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
  if (!existsSync(path)) throw new Error(`no Chromium at ${path}: install Debian's chromium or set CHROMIUM_PATH`);
  return path;
}

/** Headless Chromium through playwright-core (no browser download: it drives the system's). */
export function launchChromium(): Promise<Browser> {
  // --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
  return chromium.launch({ executablePath: chromiumPath(), headless: true, args: ["--no-sandbox"] });
}

/** Opens the console at `base`/ui and signs in with `key`, waiting until the tool list shows. */
export async function signIn(page: Page, base: string, key: string): Promise<void> {
  await page.goto(`${base}/ui`);
  await page.getByLabel("API key").fill(key);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("navigation", { name: "Tools" }).waitFor();
}

/** The tool names the console lists (the Tools navigation's entries). */
export async function listedTools(page: Page): Promise<string[]> {
  const names = page.getByRole("navigation", { name: "Tools" }).locator(".entry-name");
  return names.allInnerTexts();
}

const CONTROL_ROLES = ["button", "textbox", "searchbox", "combobox", "checkbox", "spinbutton", "radio", "link"];

/**
 * The controls on the page without an accessible name, from the accessibility tree Playwright reads (its ARIA
 * snapshot names each node `- role "name"`; a control without a name shows as `- role` alone).
 */
export async function unnamedControls(page: Page): Promise<string[]> {
  const snapshot = await page.locator("body").ariaSnapshot();
  const pattern = new RegExp(`^\\s*- (${CONTROL_ROLES.join("|")})(\\s*\\[[^\\]]*\\])*(:.*)?$`);
  return snapshot.split("\n").filter((line) => pattern.test(line));
}

/** Saves a screenshot of the whole page (1000 px wide) to `path`. */
export async function screenshot(page: Page, path: string): Promise<void> {
  await page.screenshot({ path, fullPage: true });
}
