import { parseConfig } from "@mcp-gateway/core";
import { startServer as startWeather, type RunningServer } from "../../../examples/weather-server/src/index";
import { gatewayYaml, startBroker, type RunningBroker } from "../testing/broker-fixture";
import { CONSOLE_CSP } from "./serve-console";

// Needs console/dist (npm run build, which npm test runs first).
const ORIGIN = "http://app.example";
let weather: RunningServer;
let gateway: RunningBroker;
let yaml: string;

beforeAll(async () => {
  weather = await startWeather({ port: 0 });
  yaml = gatewayYaml([{ name: "weather", url: weather.url }], `security: { allowedOrigins: ["${ORIGIN}"] }`);
  gateway = await startBroker(`${yaml}console: { enabled: true }\n`, { standalone: true });
});
afterAll(async () => {
  await gateway?.close();
  await weather?.close();
});

describe("the console at /ui", () => {
  it("serves index.html at /ui/ under a strict CSP, no inline script, assets from its own origin", async () => {
    const response = await fetch(`${gateway.base}/ui/`);
    const html = await response.text();
    expect(response.status).toBe(200);
    expect(response.headers.get("content-security-policy")).toBe(CONSOLE_CSP);
    expect(CONSOLE_CSP).toMatch(/^default-src 'self'; script-src 'self'; style-src 'self';/);
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    expect(response.headers.get("x-frame-options")).toBe("DENY");
    const scripts = [...html.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attributes, body] of scripts) {
      expect(body?.trim()).toBe("");
      expect(attributes).toMatch(/src="\/ui\/assets\/[^"]+\.js"/);
    }
    expect(html).not.toMatch(/<style|\sstyle=|https?:\/\//);
  });

  it("serves the hashed script as JavaScript, cached for good", async () => {
    const html = await (await fetch(`${gateway.base}/ui/`)).text();
    const script = /src="(\/ui\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    const response = await fetch(`${gateway.base}${script}`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/javascript|^application\/javascript/);
    expect(response.headers.get("cache-control")).toContain("immutable");
  });

  it("redirects /ui to /ui/", async () => {
    const response = await fetch(`${gateway.base}/ui`, { redirect: "manual" });
    expect(response.status).toBe(308);
    expect(response.headers.get("location")).toBe("/ui/");
  });

  it.each([
    ["a missing file", "/ui/nothing.js", 404],
    ["a dot file", "/ui/.env", 404],
    ["a path outside dist", "/ui/..%2f..%2fpackage.json", 404],
    ["a path that only starts like /ui", "/uix", 404],
  ])("answers 404 for %s", async (_what, path, status) => {
    expect((await fetch(`${gateway.base}${path}`)).status).toBe(status);
  });

  it("answers 405 to a POST (static files only: the console has no API of its own)", async () => {
    const response = await fetch(`${gateway.base}/ui/`, { method: "POST", body: "{}" });
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe("GET, HEAD");
  });

  it("refuses a foreign Origin with 403, as /mcp does", async () => {
    const response = await fetch(`${gateway.base}/ui/`, { headers: { origin: "http://evil.example" } });
    expect(response.status).toBe(403);
    expect(await response.text()).toContain("Origin");
    expect((await fetch(`${gateway.base}/ui/`, { headers: { origin: ORIGIN } })).status).toBe(200);
  });

  it("answers 404 once a reload switches it off (console.enabled: false), and serves again when on", async () => {
    await gateway.context.reconfigure(parseConfig(`${yaml}console: { enabled: false }\n`, {}));
    const off = await fetch(`${gateway.base}/ui/`);
    expect(off.status).toBe(404);
    expect(await off.text()).toContain("console.enabled");
    await gateway.context.reconfigure(parseConfig(`${yaml}console: { enabled: true }\n`, {}));
    expect((await fetch(`${gateway.base}/ui/`)).status).toBe(200);
  });
});

describe("the console switched off by default", () => {
  it("answers 404 at /ui/ when the config does not enable it", async () => {
    const off = await startBroker(gatewayYaml([{ name: "weather", url: weather.url }]), { standalone: true });
    try {
      expect((await fetch(`${off.base}/ui/`)).status).toBe(404);
    } finally {
      await off.close();
    }
  });
});
