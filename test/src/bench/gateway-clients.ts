import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolRequest } from "@modelcontextprotocol/sdk/types.js";
import { Cleanup } from "./gateway-cleanup";
import { measurePair, warmUp, type McpCall, type Measurement, type Side } from "./gateway-measure";

/** Connects one real MCP SDK client to `url` (initialize + initialized) on its own transport and session. */
export async function connectClient(url: string, cleanup: Cleanup, name = "gateway-bench"): Promise<Client> {
  const client = new Client({ name, version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  cleanup.add(() => client.close());
  return client;
}

/** Connects `count` clients to `url`, one after the other. */
export async function connectClients(url: string, count: number, cleanup: Cleanup): Promise<Client[]> {
  const clients: Client[] = [];
  for (let i = 0; i < count; i++) clients.push(await connectClient(url, cleanup, `gateway-bench-${i + 1}`));
  return clients;
}

/** A `tools/call` of `name` that fails on a JSON-RPC error or on a result flagged `isError`. */
export function toolCall(name: string, args: CallToolRequest["params"]["arguments"]): McpCall {
  return async (client) => {
    const result = await client.callTool({ name, arguments: args });
    if (result.isError) throw new Error(`${name} answered isError: ${JSON.stringify(result.content)}`);
  };
}

/** A `tools/list` that fails unless it lists exactly `expected` tools. */
export function toolsList(expected: number): McpCall {
  return async (client) => {
    const { tools } = await client.listTools();
    if (tools.length !== expected) throw new Error(`tools/list returned ${tools.length} tools, expected ${expected}`);
  };
}

/** A bounded load: `clients` concurrent clients per side, `warmUpCalls` each, then `calls` each over `rounds` rounds. */
export interface Load {
  clients: number;
  warmUpCalls: number;
  calls: number;
  rounds: number;
}

/** One side to compare: a report name, an MCP endpoint, and the call to make there. */
export interface Endpoint {
  name: string;
  url: string;
  call: McpCall;
}

/** Connects fresh clients to both endpoints, warms both up, measures them interleaved, and closes the clients. */
export async function compareEndpoints(
  direct: Endpoint,
  gateway: Endpoint,
  load: Load,
): Promise<[Measurement, Measurement]> {
  const cleanup = new Cleanup();
  try {
    const sides: Side[] = [];
    for (const { name, url, call } of [direct, gateway]) {
      const side = { name, clients: await connectClients(url, load.clients, cleanup), call };
      await warmUp(side, load.warmUpCalls);
      sides.push(side);
    }
    const [directSide, gatewaySide] = sides as [Side, Side];
    return await measurePair(directSide, gatewaySide, load.calls, load.rounds);
  } finally {
    await cleanup.run();
  }
}
