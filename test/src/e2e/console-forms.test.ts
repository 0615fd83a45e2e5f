import { hashApiKey } from "@mcp-gateway/core";
import type { Browser, Page } from "playwright-core";
import { launchChromium, signIn } from "../support/browser";
import { startConsoleUpstream, HOSTILE_HTML, type ConsoleUpstream } from "./console-upstream";
import { startGatewayStack, type GatewayStack } from "./gateway-stack";

jest.setTimeout(120_000);

// The generated form for every kind of field (nested object, array of objects, enum, numbers, boolean) and the
// rendering of hostile content in every block type, against a standalone gateway in front of a real SDK upstream.
const KEY = "mcpgw_console_forms_test_key";
let upstream: ConsoleUpstream;
let stack: GatewayStack;
let browser: Browser;

beforeAll(async () => {
  upstream = await startConsoleUpstream();
  [stack, browser] = await Promise.all([
    startGatewayStack(
      { kind: "standalone" },
      {
        extraServers: [`name: shop, url: "${upstream.url}"`],
        access: `consumers:
  - { name: sam, keyHash: "${hashApiKey(KEY)}", policy: shop }
policies:
  shop: { tools: ["shop_*"] }
console: { enabled: true }`,
      },
    ),
    launchChromium(),
  ]);
});
afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  await upstream?.close();
});

async function openTool(name: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1000, height: 800 } });
  await page.addInitScript(() => Object.defineProperty(globalThis, "__pwned", { value: undefined, writable: true }));
  await signIn(page, stack.brokerBase, KEY);
  await page.getByRole("button", { name: new RegExp(`^${name}\\b`) }).click();
  return page;
}

describe("the console's generated forms and content rendering (standalone, SDK upstream)", () => {
  it("fills nested objects, arrays of objects, an enum, numbers and a boolean, and sends exactly that", async () => {
    const page = await openTool("shop_place_order");
    await page.getByRole("textbox", { name: /^name \(required\)/ }).fill("Ada");
    await page.getByRole("checkbox", { name: "vip" }).check();
    await page.getByRole("button", { name: "Add items item" }).click();
    await page.getByRole("button", { name: "Add items item" }).click();
    const item = (n: number) => page.getByRole("group", { name: `items item ${n}` });
    await item(1).getByRole("textbox", { name: /^sku/ }).fill("A-1");
    await item(1)
      .getByRole("spinbutton", { name: /^quantity/ })
      .fill("2");
    await item(2).getByRole("textbox", { name: /^sku/ }).fill("B-2");
    await item(2)
      .getByRole("spinbutton", { name: /^quantity/ })
      .fill("1");
    await page.getByRole("combobox", { name: /^shipping/ }).selectOption({ label: "express" });
    await page.getByRole("spinbutton", { name: /^tip/ }).fill("2.5");
    await page.getByRole("button", { name: "Call tool" }).click();
    const text = await page.getByRole("region", { name: "Tool result" }).innerText();
    expect(JSON.parse(text.trim())).toEqual({
      customer: { name: "Ada", vip: true },
      items: [
        { sku: "A-1", quantity: 2 },
        { sku: "B-2", quantity: 1 },
      ],
      shipping: "express",
      tip: 2.5,
    });
    await page.close();
  });

  it("takes the arguments from the raw JSON editor too", async () => {
    const page = await openTool("shop_place_order");
    const args = { customer: { name: "Raw" }, items: [], shipping: "standard" };
    await page.getByLabel("Arguments as JSON").fill(JSON.stringify(args));
    await expect(page.getByRole("textbox", { name: /^name \(required\)/ }).inputValue()).resolves.toBe("Raw");
    await page.getByRole("button", { name: "Call tool" }).click();
    const text = await page.getByRole("region", { name: "Tool result" }).innerText();
    expect(JSON.parse(text.trim())).toEqual(args);
    await page.close();
  });

  it("streams the upstream's log notifications in while the call runs", async () => {
    const page = await openTool("shop_pack_with_logs");
    await page.getByRole("button", { name: "Call tool" }).click();
    await expect(page.getByRole("region", { name: "Tool result" }).innerText()).resolves.toContain("packed");
    const logs = await page.getByRole("region", { name: "Notifications" }).getByText(/^log:/).allInnerTexts();
    expect(logs).toEqual(["log: [info] shop picking", "log: [info] shop packing", "log: [info] shop labelling"]);
    await page.close();
  });

  it("shows markup in text, an HTML resource and SVG images as inert text: no element made, no script run", async () => {
    const page = await openTool("shop_hostile_content");
    await page.getByRole("button", { name: "Call tool" }).click();
    const result = page.getByRole("region", { name: "Tool result" });
    await result.waitFor();
    const text = await result.innerText();
    expect(text.split(HOSTILE_HTML).length - 1).toBe(2);
    expect(text).toContain("[image of type image/svg+xml, not shown]");
    expect(await result.locator("img, script, svg, iframe, object, embed").count()).toBe(0);
    // The page's only script is the console's own bundle.
    expect(await page.locator("img, svg, iframe, object, embed").count()).toBe(0);
    expect(await page.locator("script").count()).toBe(1);
    expect(await page.evaluate(() => (globalThis as { __pwned?: number }).__pwned)).toBeUndefined();
    await page.close();
  });
});
