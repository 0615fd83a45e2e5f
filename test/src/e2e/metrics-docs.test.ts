import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { startGatewayStack, type GatewayStack } from "./gateway-stack";
import { connectClient } from "./mcp-client";

jest.setTimeout(60_000);

// Issue 14, item 18: the README's metric list for a standalone gateway is what its /metrics really serves.
const README = resolve(__dirname, "../../../README.md");
// Envoy mode's routing families: declared in a standalone gateway's registry, never counted there.
const ENVOY_ROUTING = [
  "mcp_router_decisions_total",
  "mcp_router_processing_seconds",
  "mcp_router_sessions_healed_total",
];
const NODE_DEFAULTS = /^mcp_(broker|router)_(process|nodejs)_/;

/** The metric names in the README's "standalone" bullet, `{a,b}` alternatives expanded and `{label}` sets dropped. */
function documentedStandalone(): string[] {
  const lines = readFileSync(README, "utf8").split("\n");
  const start = lines.findIndex((line) => line.startsWith("  - **standalone** `/metrics`"));
  if (start < 0) throw new Error("README has no standalone metrics bullet");
  const end = lines.findIndex((line, index) => index > start && !line.startsWith("    "));
  const names = lines
    .slice(start, end)
    .join(" ")
    .match(/`mcp_[^`]+`/g);
  return (names ?? []).flatMap((quoted) => {
    const name = quoted.slice(1, -1).replace(/\{[a-z,]+\}$/, "");
    const choice = /^(.*)\{([a-z,]+)\}(.*)$/.exec(name);
    return choice ? choice[2]!.split(",").map((part) => `${choice[1]}${part}${choice[3]}`) : [name];
  });
}

/** Families a Prometheus text declares (`# TYPE`), and those with at least one sample. */
function families(text: string): { declared: Set<string>; sampled: Set<string> } {
  const declared = new Set<string>();
  const sampled = new Set<string>();
  for (const line of text.split("\n")) {
    const type = /^# TYPE (\S+)/.exec(line);
    if (type) declared.add(type[1]!);
    else if (line !== "" && !line.startsWith("#"))
      sampled.add(line.split(/[{ ]/)[0]!.replace(/_(bucket|sum|count)$/, ""));
  }
  return { declared, sampled };
}

describe("the README's standalone metrics", () => {
  let stack: GatewayStack;
  let scraped: ReturnType<typeof families>;
  beforeAll(async () => {
    stack = await startGatewayStack({ kind: "standalone" });
    const connected = await connectClient(stack.url, "metrics-docs");
    try {
      await connected.client.listTools();
      await connected.client.callTool({ name: "weather_get_forecast", arguments: { city: "Paris" } });
    } finally {
      await connected.close();
    }
    scraped = families(await (await fetch(`${stack.brokerBase}/metrics`)).text());
  });
  afterAll(async () => {
    await stack.stop();
  });

  it("names exactly the families a standalone gateway serves, Node's and Envoy mode's routing ones aside", () => {
    const served = [...scraped.declared].filter((name) => !NODE_DEFAULTS.test(name) && !ENVOY_ROUTING.includes(name));
    expect(documentedStandalone().sort()).toEqual(served.sort());
  });

  it("leaves out Envoy mode's routing families, which stay empty in standalone even after a routed call", () => {
    expect(scraped.sampled).toContain("mcp_gateway_forwarded_total");
    for (const name of ENVOY_ROUTING) {
      expect(scraped.declared).toContain(name);
      expect(scraped.sampled).not.toContain(name);
      expect(documentedStandalone()).not.toContain(name);
    }
  });
});
