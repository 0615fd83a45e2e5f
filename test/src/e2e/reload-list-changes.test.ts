import { readFile, writeFile } from "node:fs/promises";
import { hashApiKey } from "@mcp-gateway/core";
import { Client as ClientV1 } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport as TransportV1 } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import {
  PromptListChangedNotificationSchema,
  ResourceListChangedNotificationSchema,
  ToolListChangedNotificationSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { Client as ClientV2, StreamableHTTPClientTransport as TransportV2 } from "@modelcontextprotocol/client";
import { pollUntil } from "../support/bounded-wait";
import { startGatewayStack, type GatewayStack } from "./gateway-stack";
import { deployments } from "./stack-modes";

jest.setTimeout(120_000);

// A reload that changes only consumers or policies changes what connected consumers may see: each one whose lists
// changed is told (on its 2025 GET stream and on its 2026 listen stream), about those lists only; the others hear
// nothing. In every deployment, with real gateway processes watching their config file.
const modes = deployments();
afterAll(async () => {
  await modes.stop();
});

const ALICE_KEY = "alice-key-0123456789abcdef0123456789ab";
const BOB_KEY = "bob-key-0123456789abcdef0123456789abcd";
const EVERYTHING = `{ tools: ["*"], prompts: ["*"], resources: ["*"] }`;
const access = (alice: string, bobPolicy = "bob"): string => `auth: { apiKeys: { header: authorization } }
consumers:
  - { name: alice, keyHash: "${hashApiKey(ALICE_KEY)}", policy: alice }
  - { name: bob, keyHash: "${hashApiKey(BOB_KEY)}", policy: ${bobPolicy} }
policies:
  alice: ${alice}
  bob: ${EVERYTHING}
  weather-tools: { tools: ["weather_*"], prompts: ["*"], resources: ["*"] }
`;
const KINDS = ["tools", "prompts", "resources"] as const;
type Kind = (typeof KINDS)[number];
const TIMEOUT = { timeout: 10_000 };

/** One consumer's two clients: a 2025 one (GET stream) and a 2026 one (listen stream), and what each was told. */
interface Watcher {
  legacy: Record<Kind, number>;
  modern: Record<Kind, number>;
  legacyTools(): Promise<string[]>;
  close(): Promise<void>;
}

const none = (): Record<Kind, number> => ({ tools: 0, prompts: 0, resources: 0 });

async function connectLegacy(url: string, key: string, seen: Record<Kind, number>) {
  const client = new ClientV1({ name: "reload-legacy", version: "1.0.0" });
  client.setNotificationHandler(ToolListChangedNotificationSchema, () => void seen.tools++);
  client.setNotificationHandler(PromptListChangedNotificationSchema, () => void seen.prompts++);
  client.setNotificationHandler(ResourceListChangedNotificationSchema, () => void seen.resources++);
  const headers = { authorization: `Bearer ${key}` };
  await client.connect(new TransportV1(new URL(url), { requestInit: { headers } }));
  return client;
}

async function connectModern(url: string, key: string, seen: Record<Kind, number>) {
  const client = new ClientV2(
    { name: "reload-modern", version: "1.0.0" },
    { capabilities: {}, versionNegotiation: { mode: { pin: "2026-07-28" } } },
  );
  for (const kind of KINDS)
    client.setNotificationHandler(`notifications/${kind}/list_changed`, () => void seen[kind]++);
  const transport = new TransportV2(new URL(url), { requestInit: { headers: { authorization: `Bearer ${key}` } } });
  await client.connect(transport, TIMEOUT);
  const listening = await client.listen(
    { toolsListChanged: true, promptsListChanged: true, resourcesListChanged: true },
    TIMEOUT,
  );
  return { client, listening };
}

async function watch(url: string, key: string): Promise<Watcher> {
  const legacy = none();
  const modern = none();
  const v1 = await connectLegacy(url, key, legacy);
  const v2 = await connectModern(url, key, modern);
  return {
    legacy,
    modern,
    legacyTools: async () => (await v1.listTools()).tools.map((tool) => tool.name),
    close: async () => {
      await v2.listening.close().catch(() => undefined);
      await v2.client.close().catch(() => undefined);
      await v1.close().catch(() => undefined);
    },
  };
}

async function openStreams(stack: GatewayStack): Promise<number> {
  const status = (await (await fetch(`${stack.brokerBase}/status`)).json()) as { openStreams: number };
  return status.openStreams;
}

async function rewriteAccess(stack: GatewayStack, from: string, to: string): Promise<void> {
  const yaml = await readFile(stack.configPath, "utf8");
  await writeFile(stack.configPath, yaml.replace(from, to));
}

describe.each(modes.all)("list_changed on a policy-only reload (%s)", (_label, mode) => {
  let stack: GatewayStack;
  let alice: Watcher;
  let bob: Watcher;

  beforeAll(async () => {
    stack = await startGatewayStack(await mode(), { access: access(EVERYTHING) });
    alice = await watch(stack.url, ALICE_KEY);
    bob = await watch(stack.url, BOB_KEY);
    // The SDK v1 client opens its GET stream after initialize: a notification sent before would be lost.
    if (!(await pollUntil(async () => (await openStreams(stack)) >= 2, 10_000)))
      throw new Error("GET streams not open");
  });
  afterAll(async () => {
    await alice?.close();
    await bob?.close();
    await stack?.stop();
  });

  it("tells only the consumer whose tools a policy change removed, on both streams, about tools only", async () => {
    expect(await alice.legacyTools()).toContain("notes_add_note");
    await rewriteAccess(
      stack,
      `alice: ${EVERYTHING}`,
      `alice: { tools: ["weather_*"], prompts: ["*"], resources: ["*"] }`,
    );
    const told = await pollUntil(() => alice.legacy.tools > 0 && alice.modern.tools > 0, 15_000);
    expect({ told, legacy: alice.legacy, modern: alice.modern }).toEqual({
      told: true,
      legacy: { tools: 1, prompts: 0, resources: 0 },
      modern: { tools: 1, prompts: 0, resources: 0 },
    });
    expect(await pollUntil(async () => !(await alice.legacyTools()).includes("notes_add_note"), 10_000)).toBe(true);
    // Both consumers' streams are written in the same pass: bob would have heard by now.
    expect(await pollUntil(() => bob.legacy.tools + bob.modern.tools > 0, 500)).toBe(false);
    expect({ legacy: bob.legacy, modern: bob.modern }).toEqual({ legacy: none(), modern: none() });
  });

  it("tells a consumer the file moved to another policy", async () => {
    await rewriteAccess(stack, `policy: bob }`, `policy: weather-tools }`);
    const told = await pollUntil(() => bob.legacy.tools > 0 && bob.modern.tools > 0, 15_000);
    expect({ told, legacy: bob.legacy, modern: bob.modern }).toEqual({
      told: true,
      legacy: { tools: 1, prompts: 0, resources: 0 },
      modern: { tools: 1, prompts: 0, resources: 0 },
    });
    // With router and broker apart, each reloads on its own: the router's identity header may name the old policy a
    // moment longer.
    expect(await pollUntil(async () => !(await bob.legacyTools()).includes("notes_add_note"), 10_000)).toBe(true);
    expect(alice.legacy.tools + alice.modern.tools).toBe(2);
  });
});
