import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Browser, Page } from "playwright-core";
import { DEMO_KEYS, startLocalStack, type LocalStack } from "@mcp-gateway/local-stack";
import { launchChromium, listedTools, screenshot, signIn, unnamedControls } from "../support/browser";

jest.setTimeout(120_000);

// The web console in headless Chromium against `npm start`'s stack (examples/gateway.yaml, its demo keys) on free
// ports. Screenshots go to a temporary folder, or to CONSOLE_SCREENSHOTS_DIR (docs/ refreshes the README's).
const SHOTS = process.env.CONSOLE_SCREENSHOTS_DIR
  ? resolve(process.env.CONSOLE_SCREENSHOTS_DIR)
  : mkdtempSync(join(tmpdir(), "console-shots-"));
let stack: LocalStack;
let browser: Browser;
let base: string;

beforeAll(async () => {
  [stack, browser] = await Promise.all([
    startLocalStack({ ports: { gateway: 0, weather: 0, notes: 0, everything: 0, calendar: 0 } }),
    launchChromium(),
  ]);
  base = `http://127.0.0.1:${stack.ports.gateway}`;
  // The gateway lists an upstream once it is ready: wait for all four.
  for (let i = 0; i < 200; i++) {
    const status = (await (await fetch(`${base}/status`)).json()) as { upstreams: { state: string }[] };
    if (status.upstreams.every((u) => u.state === "ready")) break;
    await new Promise((done) => setTimeout(done, 100));
  }
});
afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

async function newPage(): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1000, height: 640 } });
  // A flag any script the upstream smuggled in would set; it must stay unset.
  // (The page's globals are typed loosely here: the test project has no DOM types.)
  await page.addInitScript(() => Object.defineProperty(globalThis, "__pwned", { value: undefined, writable: true }));
  return page;
}

async function openTool(page: Page, name: string): Promise<void> {
  await page.getByLabel("Search tools").fill(name);
  await page.getByRole("button", { name: new RegExp(`^${name}\\b`) }).click();
  await page.getByRole("heading", { level: 2 }).waitFor();
}

describe("the web console in Chromium (standalone, npm start's stack)", () => {
  it.each([
    ["alice", DEMO_KEYS.alice, (n: string) => n.startsWith("weather_")],
    ["bob", DEMO_KEYS.bob, (n: string) => /^(notes|everything|calendar)_/.test(n)],
    ["ops", DEMO_KEYS.ops, (n: string) => /^(weather|notes|everything|calendar)_/.test(n)],
  ])("signed in as %s, lists only that consumer's tools", async (who, key, allowed) => {
    const page = await newPage();
    await signIn(page, base, key);
    const tools = await listedTools(page);
    expect(tools.length).toBeGreaterThan(0);
    expect(tools.filter((name) => !allowed(name))).toEqual([]);
    if (who === "ops") expect(tools).toEqual(expect.arrayContaining(["weather_get_forecast", "everything_echo"]));
    if (who === "alice") await screenshot(page, join(SHOTS, "console-tools.png"));
    await page.close();
  });

  it("refuses a wrong key plainly (401), and keeps the key out of the URL", async () => {
    const page = await newPage();
    await page.goto(`${base}/ui`);
    await page.getByLabel("API key").fill("mcpgw_not_a_key");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page.getByRole("alert").innerText()).resolves.toContain("401");
    expect(page.url()).toBe(`${base}/ui/`);
    await page.close();
  });

  it("calls a tool through the form generated from its schema and shows the result", async () => {
    const page = await newPage();
    await signIn(page, base, DEMO_KEYS.ops);
    await openTool(page, "everything_get-sum");
    await page.getByRole("spinbutton", { name: /^a \(required\)/ }).fill("20");
    await page.getByRole("spinbutton", { name: /^b \(required\)/ }).fill("22");
    await expect(page.getByLabel("Arguments as JSON").inputValue()).resolves.toContain('"a": 20');
    await page.getByRole("button", { name: "Call tool" }).click();
    const result = page.getByRole("region", { name: "Tool result" });
    await expect(result.innerText()).resolves.toContain("The sum of 20 and 22 is 42.");
    await screenshot(page, join(SHOTS, "console-call.png"));
    await page.close();
  });

  it("streams progress notifications in while a long call runs", async () => {
    const page = await newPage();
    await signIn(page, base, DEMO_KEYS.ops);
    await openTool(page, "everything_trigger-long-running-operation");
    await page.getByRole("spinbutton", { name: /^duration/ }).fill("2");
    await page.getByRole("spinbutton", { name: /^steps/ }).fill("4");
    await page.getByRole("button", { name: "Call tool" }).click();
    // The first progress shows while the call still runs (Cancel is enabled), before the result.
    const notifications = page.getByRole("region", { name: "Notifications" });
    await notifications.getByText(/^progress: 1 \/ 4/).waitFor();
    await expect(page.getByRole("button", { name: "Cancel call" }).isEnabled()).resolves.toBe(true);
    await page.getByRole("region", { name: "Tool result" }).waitFor();
    const progress = await notifications.getByText(/^progress:/).allInnerTexts();
    expect(progress.length).toBeGreaterThanOrEqual(2);
    await screenshot(page, join(SHOTS, "console-progress.png"));
    await page.close();
  });

  it("cancels a running call", async () => {
    const page = await newPage();
    await signIn(page, base, DEMO_KEYS.ops);
    await openTool(page, "everything_trigger-long-running-operation");
    await page.getByRole("spinbutton", { name: /^duration/ }).fill("30");
    await page.getByRole("spinbutton", { name: /^steps/ }).fill("30");
    await page.getByRole("button", { name: "Call tool" }).click();
    await page
      .getByRole("region", { name: "Notifications" })
      .getByText(/^progress:/)
      .first()
      .waitFor();
    await page.getByRole("button", { name: "Cancel call" }).click();
    await expect(page.getByRole("alert").innerText()).resolves.toMatch(/cancel/i);
    expect(await page.getByRole("region", { name: "Tool result" }).count()).toBe(0);
    await page.close();
  });

  it("shows the gateway's 403 when a key calls a tool outside its policy", async () => {
    const page = await newPage();
    await signIn(page, base, DEMO_KEYS.alice);
    await page.getByLabel("Tool name").fill("everything_echo");
    await page.getByRole("button", { name: "Open tool by name" }).click();
    await page.getByLabel("Arguments as JSON").fill('{ "message": "hi" }');
    await page.getByRole("button", { name: "Call tool" }).click();
    const alert = await page.getByRole("alert").innerText();
    expect(alert).toContain("403");
    expect(alert).toContain("everything_echo");
    await screenshot(page, join(SHOTS, "console-403.png"));
    await page.close();
  });

  it("shows a 429 with its retry time once a key's calls pass its rate limit (alice: 5 at once, then 1/s)", async () => {
    const page = await newPage();
    await signIn(page, base, DEMO_KEYS.alice);
    await openTool(page, "weather_get_forecast");
    await page.getByRole("textbox", { name: /^city/ }).fill("Oslo");
    const call = page.getByRole("button", { name: "Call tool" });
    // Calls back to back: the bucket (burst 5) runs dry within a few, far faster than it refills.
    let alert = "";
    for (let i = 0; i < 12 && !alert.includes("429"); i++) {
      await call.click();
      await page.locator(".result, [role=alert]").first().waitFor();
      alert = (await page.getByRole("alert").count()) > 0 ? await page.getByRole("alert").innerText() : "";
    }
    expect(alert).toMatch(/429 Too many requests: retry in \d+ s/);
    await page.close();
  });

  it("keeps markup in an upstream result inert: shown as text, no element made, no script run", async () => {
    const page = await newPage();
    await signIn(page, base, DEMO_KEYS.ops);
    await openTool(page, "everything_echo");
    const payload = `<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script><b>bold</b>`;
    await page.getByRole("textbox", { name: /^message/ }).fill(payload);
    await page.getByRole("button", { name: "Call tool" }).click();
    const result = page.getByRole("region", { name: "Tool result" });
    await expect(result.innerText()).resolves.toContain(`Echo: ${payload}`);
    expect(await result.locator("img, script, b").count()).toBe(0);
    expect(await page.locator("img").count()).toBe(0);
    expect(await page.evaluate(() => (globalThis as { __pwned?: number }).__pwned)).toBeUndefined();
    await page.close();
  });

  it("renders an image result as data-URL media (an img, no script), with its alt text", async () => {
    const page = await newPage();
    await signIn(page, base, DEMO_KEYS.ops);
    await openTool(page, "everything_get-tiny-image");
    await page.getByRole("button", { name: "Call tool" }).click();
    const image = page.getByRole("region", { name: "Tool result" }).getByRole("img", { name: "image (image/png)" });
    await expect(image.getAttribute("src")).resolves.toMatch(/^data:image\/png;base64,/);
    await page.close();
  });

  it("picks an enum from a select, and shows structured content checked against the output schema", async () => {
    const page = await newPage();
    await signIn(page, base, DEMO_KEYS.ops);
    await openTool(page, "everything_get-structured-content");
    await page.getByRole("combobox", { name: /^location/ }).selectOption({ label: "Chicago" });
    await expect(page.getByLabel("Arguments as JSON").inputValue()).resolves.toContain('"location": "Chicago"');
    await page.getByRole("button", { name: "Call tool" }).click();
    // The SDK validates structuredContent against outputSchema; under the CSP (no eval) that is @cfworker/json-schema.
    const result = page.getByRole("region", { name: "Tool result" });
    await expect(result.innerText()).resolves.toMatch(/Structured content[\s\S]*"temperature"/);
    expect(await page.getByRole("alert").count()).toBe(0);
    await page.close();
  });

  it("answers the calendar's elicitation in a dialog, then shows the booking", async () => {
    const page = await newPage();
    await signIn(page, base, DEMO_KEYS.bob);
    await openTool(page, "calendar_book_meeting");
    await page.getByRole("textbox", { name: /^title/ }).fill("Console demo");
    await page.getByRole("textbox", { name: /^start/ }).fill("11:00");
    await page.getByRole("spinbutton", { name: /^durationMinutes/ }).fill("30");
    await page.getByRole("button", { name: "Call tool" }).click();
    const dialog = page.getByRole("dialog", { name: "The server asks" });
    await expect(dialog.innerText()).resolves.toContain('Book "Console demo" today 11:00-11:30?');
    await dialog.getByRole("checkbox").check();
    await dialog.getByRole("button", { name: "Accept" }).click();
    await expect(page.getByRole("region", { name: "Tool result" }).innerText()).resolves.toContain('"booked":true');
    await page.close();
  });

  it("reads a resource and gets a prompt with arguments", async () => {
    const page = await newPage();
    await signIn(page, base, DEMO_KEYS.bob);
    await page.getByRole("button", { name: "Resources", exact: true }).click();
    await page.getByLabel("Resource URI").fill("calendar+calendar://today");
    await page.getByRole("button", { name: "Read resource" }).click();
    await page.getByRole("region", { name: "Resource contents" }).waitFor();
    await page.getByRole("button", { name: "Prompts", exact: true }).click();
    await page.getByLabel("Search prompts").fill("everything_args-prompt");
    await page.getByRole("button", { name: /^everything_args-prompt/ }).click();
    await page.getByRole("textbox", { name: /^city/ }).fill("Lisbon");
    await page.getByRole("button", { name: "Get prompt" }).click();
    await expect(page.getByRole("region", { name: "Prompt messages" }).innerText()).resolves.toContain("Lisbon");
    await page.close();
  });

  it("shows the servers the key may use (health, generation, counts) and no other", async () => {
    const page = await newPage();
    await signIn(page, base, DEMO_KEYS.bob);
    await page.getByRole("button", { name: "Servers", exact: true }).click();
    const table = page.getByRole("table", { name: "Servers your key may use" });
    await table.locator("tbody tr").first().waitFor();
    const servers = await table.locator("tbody th").allInnerTexts();
    expect([...servers].sort()).toEqual(["calendar", "everything", "notes"]);
    const notes = await table
      .getByRole("row", { name: /^notes/ })
      .locator("td")
      .allInnerTexts();
    expect(notes.slice(0, 2)).toEqual(["ready", expect.stringMatching(/^202[56]$/)]);
    expect(Number(notes[3])).toBeGreaterThan(0); // its tools
    await screenshot(page, join(SHOTS, "console-servers.png"));
    await page.close();
  });

  it("works from the keyboard alone, and every control has an accessible name", async () => {
    const page = await newPage();
    await page.goto(`${base}/ui`);
    expect(await unnamedControls(page)).toEqual([]);
    // Tab order: the five view buttons, then the key, its header, and Sign in.
    await page.keyboard.press("Tab");
    for (let i = 0; i < 5; i++) await page.keyboard.press("Tab");
    await page.keyboard.type(DEMO_KEYS.ops);
    await page.keyboard.press("Enter");
    await page.getByRole("navigation", { name: "Tools" }).waitFor();
    expect(await unnamedControls(page)).toEqual([]);
    for (const view of ["Prompts", "Resources", "Servers", "Tools"]) {
      await page.getByRole("button", { name: view, exact: true }).focus();
      await page.keyboard.press("Enter");
      expect(await unnamedControls(page)).toEqual([]);
    }
    await page.close();
  });
});
