import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hashApiKey } from "@mcp-gateway/core";
import { connectClient, type ConnectedClient } from "./mcp-client";
import { startStdioStack, stdioServerScript, type StdioStack, type StdioStackKind } from "./stdio-stack";

// One consumer must not hold every process of a perSession stdio server (stdio.maxInstancesPerConsumer): a real
// server-memory behind the gateway's bridge, two API-key consumers, standalone and under a real Envoy.

jest.setTimeout(120_000);

const ALICE = "alice-key-0123456789abcdef0123456789ab";
const BOB = "bob-key-0123456789abcdef0123456789abcd";
const ACCESS = `auth: { apiKeys: { header: authorization } }
consumers:
  - { name: alice, keyHash: "${hashApiKey(ALICE)}", policy: all }
  - { name: bob, keyHash: "${hashApiKey(BOB)}", policy: all }
policies:
  all: { tools: ["*"], prompts: ["*"], resources: ["*"] }`;

const modes: [string, StdioStackKind][] = [
  ["standalone", "standalone"],
  ["Envoy mode", "envoy"],
];

describe.each(modes)("stdio.maxInstancesPerConsumer (%s)", (_label, kind) => {
  let stack: StdioStack;
  let folder: string;
  const clients: ConnectedClient[] = [];
  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), "mcp-stdio-limit-"));
    const node = JSON.stringify(process.execPath);
    stack = await startStdioStack(
      kind,
      [
        `name: memory, command: ${node}, args: ["${stdioServerScript("server-memory")}"], env: { MEMORY_FILE_PATH: "${join(folder, "memory.jsonl")}" }, stdio: { instances: perSession, maxInstances: 8, maxInstancesPerConsumer: 2 }`,
      ],
      ACCESS,
    );
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await stack?.stop();
    await rm(folder, { recursive: true, force: true });
  });

  const open = async (key: string, name: string): Promise<ConnectedClient> => {
    const client = await connectClient(stack.url, name, { authorization: `Bearer ${key}` });
    clients.push(client);
    return client;
  };
  const read = (c: ConnectedClient): Promise<string> =>
    c.client.callTool({ name: "memory_read_graph", arguments: {} }).then(
      (result) => (result.isError === true ? `tool error ${JSON.stringify(result)}` : "ok"),
      (error: unknown) => String(error),
    );

  it("refuses a consumer's session past the limit, naming it, while another consumer still gets a process", async () => {
    const [a1, a2, a3] = [await open(ALICE, "a1"), await open(ALICE, "a2"), await open(ALICE, "a3")];
    if (!a1 || !a2 || !a3) throw new Error("clients not connected");
    expect(await read(a1)).toBe("ok");
    expect(await read(a2)).toBe("ok");
    const refused = await read(a3);
    expect(refused).toContain("-31006");
    expect(refused).toContain(String.raw`consumer \"alice\"`);
    expect(refused).toContain("already holds 2 per-session processes (stdio.maxInstancesPerConsumer)");
    // A session already counted keeps working; another consumer is not affected.
    expect(await read(a1)).toBe("ok");
    expect(await read(await open(BOB, "b1"))).toBe("ok");
    // Ending one of alice's sessions (DELETE) frees its slot at once.
    await a1.transport.terminateSession();
    expect(await read(a3)).toBe("ok");
  });
});
