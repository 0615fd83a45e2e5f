import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hashApiKey } from "@mcp-gateway/core";
import type { Browser } from "playwright-core";
import { launchChromium, listedTools, signIn } from "../support/browser";
import { freePort } from "../support/redis-server";
import { startGatewayStack, type GatewayStack } from "./gateway-stack";

jest.setTimeout(120_000);

// The console behind the real Envoy: render-envoy routes /ui to the broker (without ext_proc), the broker serves the
// files, and the console's MCP calls go through Envoy and the router like any client's.
const KEY = "mcpgw_console_envoy_test_key";
const ADMIN_TOKEN = "console-envoy-admin-token-0123456789";
let stack: GatewayStack;
let browser: Browser;
let envoyBase: string;
let adminBase: string;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "console-envoy-"));
  const adminPort = await freePort();
  adminBase = `http://127.0.0.1:${adminPort}`;
  [stack, browser] = await Promise.all([
    startGatewayStack(
      { kind: "envoy", store: "memory" },
      {
        access: `consumers:
  - { name: dana, keyHash: "${hashApiKey(KEY)}", policy: weather }
policies:
  weather: { tools: ["weather_*"] }
admin:
  listen: "127.0.0.1:${adminPort}"
  token: "${ADMIN_TOKEN}"
  store: "file:${join(dir, "consumers.json")}"
console: { enabled: true }`,
        // Origins must then name an allowed host: the console's own (127.0.0.1) passes, evil.example does not.
        security: `{ allowedHosts: ["127.0.0.1", "127.0.0.1:${adminPort}"] }`,
      },
    ),
    launchChromium(),
  ]);
  envoyBase = stack.url.replace(/\/mcp$/, "");
});
afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe("the web console in Envoy mode (real Envoy, rendered /ui route)", () => {
  it("serves /ui/ through Envoy with the broker's CSP", async () => {
    const response = await fetch(`${envoyBase}/ui/`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-security-policy")).toMatch(/^default-src 'self'; script-src 'self';/);
    expect(await response.text()).toContain('<script type="module"');
  });

  it("refuses a foreign Origin at /ui as at /mcp (403), and admits an allowed one", async () => {
    const evil = { origin: "http://evil.example" };
    const mcp = await fetch(`${envoyBase}/mcp`, {
      method: "POST",
      headers: { ...evil, "content-type": "application/json", accept: "application/json, text/event-stream" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping" }),
    });
    expect(mcp.status).toBe(403);
    expect((await fetch(`${envoyBase}/ui/`, { headers: evil })).status).toBe(403);
    expect((await fetch(`${envoyBase}/ui/`, { headers: { origin: envoyBase } })).status).toBe(200);
  });

  it("answers 404 for a path beside the console (/uix) through Envoy", async () => {
    expect((await fetch(`${envoyBase}/uix`)).status).toBe(404);
  });

  it("signs in through Envoy, lists only the consumer's tools, and calls one through the generated form", async () => {
    const page = await browser.newPage();
    await signIn(page, envoyBase, KEY);
    const tools = await listedTools(page);
    expect(tools.length).toBeGreaterThan(0);
    expect(tools.filter((name) => !name.startsWith("weather_"))).toEqual([]);
    await page.getByLabel("Search tools").fill("weather_get_forecast");
    await page.getByRole("button", { name: /^weather_get_forecast/ }).click();
    await page.getByRole("textbox", { name: /^city \(required\)/ }).fill("Lisbon");
    await page.getByRole("button", { name: "Call tool" }).click();
    await expect(page.getByRole("region", { name: "Tool result" }).innerText()).resolves.toContain("Lisbon");
    await page.close();
  });

  it("shows the servers the key may use through Envoy and the router (mcpgateway/servers), weather only", async () => {
    const page = await browser.newPage();
    await signIn(page, envoyBase, KEY);
    await page.getByRole("button", { name: "Servers", exact: true }).click();
    const table = page.getByRole("table", { name: "Servers your key may use" });
    await table.locator("tbody tr").first().waitFor();
    expect(await table.locator("tbody th").allInnerTexts()).toEqual(["weather"]);
    await expect(
      table
        .getByRole("row", { name: /^weather/ })
        .locator("td")
        .first()
        .innerText(),
    ).resolves.toBe("ready");
    await page.close();
  });

  it("tails the router's audit events live on the admin listener (a call through Envoy appears, filtered)", async () => {
    const admin = await browser.newPage();
    await admin.goto(`${adminBase}/ui`);
    await admin.getByRole("button", { name: "Admin", exact: true }).click();
    await admin.getByLabel("Admin token").fill(ADMIN_TOKEN);
    await admin.getByRole("button", { name: "Sign in as admin" }).click();
    const tail = admin.getByRole("region", { name: "Audit tail" });
    await tail.getByLabel("Consumer").fill("dana");
    await tail.getByLabel("Decision").selectOption("allowed");
    await tail.getByRole("button", { name: "Follow the audit log" }).click();
    await tail.getByRole("status").getByText("Tail: following").waitFor();

    const page = await browser.newPage();
    await signIn(page, envoyBase, KEY);
    await page.getByLabel("Tool name").fill("weather_server_info");
    await page.getByRole("button", { name: "Open tool by name" }).click();
    await page.getByRole("button", { name: "Call tool" }).click();
    const rows = tail.getByRole("table", { name: "Audit events (newest first)" }).locator("tbody tr");
    await rows.filter({ hasText: "weather_server_info" }).waitFor();
    expect(await rows.allInnerTexts()).toEqual([expect.stringMatching(/dana.*tools\/call.*weather.*allowed/s)]);
    await page.close();
    await admin.close();
  });
});
