import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { hashApiKey } from "@mcp-gateway/core";
import type { Browser, Page } from "playwright-core";
import { launchChromium, listedTools, screenshot, signIn, unnamedControls } from "../support/browser";
import { freePort } from "../support/redis-server";
import { startGatewayStack, type GatewayStack } from "./gateway-stack";

jest.setTimeout(120_000);

// The console's admin view, served by the admin listener (same origin as the admin API), against a standalone
// gateway: register a consumer (its key shown once), sign in with that key on the gateway's console, revoke it.
const ADMIN_TOKEN = "console-admin-token-0123456789abcdef";
const SHOTS = process.env.CONSOLE_SCREENSHOTS_DIR ? resolve(process.env.CONSOLE_SCREENSHOTS_DIR) : undefined;
let stack: GatewayStack;
let browser: Browser;
let dir: string;
let adminBase: string;
let gatewayBase: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "console-admin-"));
  const adminPort = await freePort();
  adminBase = `http://127.0.0.1:${adminPort}`;
  [stack, browser] = await Promise.all([
    startGatewayStack(
      { kind: "standalone" },
      {
        access: `consumers:
  - { name: carol, keyHash: "${hashApiKey("mcpgw_console_carol_key")}", policy: weather }
policies:
  weather: { tools: ["weather_*"] }
  notes: { tools: ["notes_*"] }
admin:
  listen: "127.0.0.1:${adminPort}"
  token: "${ADMIN_TOKEN}"
  store: "file:${join(dir, "consumers.json")}"
console: { enabled: true }`,
      },
    ),
    launchChromium(),
  ]);
  gatewayBase = stack.brokerBase;
});
afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  await rm(dir, { recursive: true, force: true });
});

async function adminPage(): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1000, height: 640 } });
  await page.goto(`${adminBase}/ui`);
  await page.getByRole("button", { name: "Admin", exact: true }).click();
  await page.getByLabel("Admin token").fill(ADMIN_TOKEN);
  await page.getByRole("button", { name: "Sign in as admin" }).click();
  await page.getByRole("table", { name: "Consumers" }).waitFor();
  return page;
}

/** Opens `name` by name on a signed-in consumer page and calls it with no arguments. */
async function callByName(page: Page, name: string): Promise<void> {
  await page.getByLabel("Tool name").fill(name);
  await page.getByRole("button", { name: "Open tool by name" }).click();
  await page.getByRole("button", { name: "Call tool" }).click();
}

async function keyWorks(key: string): Promise<boolean> {
  const page = await browser.newPage();
  await page.goto(`${gatewayBase}/ui`);
  await page.getByLabel("API key").fill(key);
  await page.getByRole("button", { name: "Sign in" }).click();
  const outcome = await Promise.race([
    page
      .getByRole("navigation", { name: "Tools" })
      .waitFor()
      .then(() => true),
    page
      .getByRole("alert")
      .waitFor()
      .then(() => false),
  ]);
  await page.close();
  return outcome;
}

describe("the console's admin view (admin listener, standalone gateway)", () => {
  it("refuses a wrong admin token plainly (401)", async () => {
    const page = await browser.newPage();
    await page.goto(`${adminBase}/ui`);
    await page.getByRole("button", { name: "Admin", exact: true }).click();
    await page.getByLabel("Admin token").fill("not-the-token");
    await page.getByRole("button", { name: "Sign in as admin" }).click();
    await expect(page.getByRole("alert").innerText()).resolves.toContain("401");
    await page.close();
  });

  it("lists the config's consumer as read-only, registers one (key shown once), which then signs in, and revokes it", async () => {
    const page = await adminPage();
    const table = page.getByRole("table", { name: "Consumers" });
    await expect(table.getByRole("row", { name: /carol/ }).innerText()).resolves.toContain("config file (read-only)");
    await page.getByLabel("Consumer name").fill("erin");
    await page.getByLabel("Policy", { exact: true }).fill("notes");
    await page.getByRole("button", { name: "Register" }).click();
    const issued = page.getByRole("region", { name: "New API key" });
    const key = (await issued.locator(".api-key").innerText()).trim();
    expect(key.length).toBeGreaterThan(20);
    await table.getByRole("row", { name: /erin/ }).getByText("admin API").waitFor();
    expect(await unnamedControls(page)).toEqual([]);
    if (SHOTS) await screenshot(page, join(SHOTS, "console-admin.png"));

    // The new key works on the gateway's console at once, with the notes policy's tools only.
    const consumer = await browser.newPage();
    await signIn(consumer, gatewayBase, key);
    const tools = await listedTools(consumer);
    expect(tools.length).toBeGreaterThan(0);
    expect(tools.filter((name) => !name.startsWith("notes_"))).toEqual([]);
    await consumer.close();

    await page.getByRole("button", { name: "Revoke erin" }).click();
    await table
      .getByRole("row", { name: /erin/ })
      .getByText(/^revoked /)
      .waitFor();
    expect(await keyWorks(key)).toBe(false);
    await page.close();
  });

  it("rotates a key: the old one stops working, the new one (shown once) works", async () => {
    const page = await adminPage();
    await page.getByLabel("Consumer name").fill("frank");
    await page.getByLabel("Policy", { exact: true }).fill("weather");
    await page.getByRole("button", { name: "Register" }).click();
    const issued = page.getByRole("region", { name: "New API key" }).locator(".api-key");
    const first = (await issued.innerText()).trim();
    await page.getByRole("button", { name: "Rotate key of frank" }).click();
    await page.getByText(first).waitFor({ state: "detached" });
    const second = (await issued.innerText()).trim();
    expect(await keyWorks(first)).toBe(false);
    expect(await keyWorks(second)).toBe(true);
    await page.close();
  });

  it("follows the live audit tail: a call's event appears, filtered by the gateway (consumer, decision)", async () => {
    const page = await adminPage();
    const tail = page.getByRole("region", { name: "Audit tail" });
    await tail.getByLabel("Consumer").fill("carol");
    await tail.getByLabel("Decision").selectOption("denied");
    await tail.getByRole("button", { name: "Follow the audit log" }).click();
    await tail.getByRole("status").getByText("Tail: following").waitFor();

    const consumer = await browser.newPage();
    await signIn(consumer, gatewayBase, "mcpgw_console_carol_key");
    await callByName(consumer, "weather_server_info");
    await consumer.getByRole("region", { name: "Tool result" }).waitFor();
    await callByName(consumer, "notes_list_notes");
    await expect(consumer.getByRole("alert").innerText()).resolves.toContain("403");
    const rows = tail.getByRole("table", { name: "Audit events (newest first)" }).locator("tbody tr");
    await rows.filter({ hasText: "notes_list_notes" }).waitFor();
    // Only carol's denial came through: her allowed call (recorded before it) was filtered out by the gateway.
    expect(await rows.allInnerTexts()).toEqual([
      expect.stringMatching(/carol.*tools\/call.*notes_list_notes.*denied/s),
    ]);
    if (SHOTS) await screenshot(page, join(SHOTS, "console-audit-tail.png"));

    // Any decision now: her allowed call shows up too.
    await tail.getByLabel("Decision").selectOption("");
    await tail.getByRole("button", { name: "Follow the audit log" }).click();
    await tail.getByRole("status").getByText("Tail: following").waitFor();
    await consumer.getByRole("button", { name: "Call tool" }).click();
    await rows.filter({ hasText: "denied" }).waitFor();
    await callByName(consumer, "weather_server_info");
    await rows.filter({ hasText: "allowed" }).filter({ hasText: "weather_server_info" }).waitFor();
    await consumer.close();
    await page.close();
  });
});
