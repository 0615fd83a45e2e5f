import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Agent, request } from "undici";
import { startNoopExtProc } from "./ext-proc-driver";

/**
 * The no-op hops of `bench:gateway`, each in a process of its own so its CPU can be read from `/proc`:
 *
 * - `proxy <upstream origin>`: the least a Node HTTP hop can do, on the gateway's own stack (a `node:http` server,
 *   the request body read whole, undici with kept-alive connections upstream, the reply streamed back). What it costs
 *   is what any Node gateway pays per call before doing anything an MCP gateway must do.
 * - `ext-proc`: an ext_proc gRPC server that answers every message with "continue" (`startNoopExtProc`): Envoy on the
 *   gateway's rendered config pointed at it costs what the ext_proc mechanism costs before the router does anything.
 *
 * Prints `no-op hop listening on <host:port>` once ready; exits on SIGTERM/SIGINT.
 */

const HOP_BY_HOP = new Set(["connection", "keep-alive", "transfer-encoding", "host", "upgrade", "te", "trailer"]);

function withoutHopByHop(headers: Record<string, string | string[] | undefined>): Record<string, string | string[]> {
  const kept: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers))
    if (value !== undefined && !HOP_BY_HOP.has(name)) kept[name] = value;
  return kept;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

async function relay(origin: string, agent: Agent, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = await readBody(req);
  const reply = await request(`${origin}${req.url ?? "/"}`, {
    method: req.method as "POST",
    headers: withoutHopByHop(req.headers),
    body: body.length > 0 ? body : undefined,
    dispatcher: agent,
  });
  res.writeHead(reply.statusCode, withoutHopByHop(reply.headers));
  res.on("close", () => reply.body.destroy());
  reply.body.on("error", () => res.destroy());
  reply.body.pipe(res);
}

async function startProxy(origin: string): Promise<string> {
  const agent = new Agent({ keepAliveTimeout: 30_000 });
  const server = createServer((req, res) => {
    relay(origin, agent, req, res).catch((error: unknown) => {
      if (res.headersSent) res.destroy();
      else res.writeHead(502).end(error instanceof Error ? error.message : String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function main(): Promise<void> {
  const [kind, origin] = process.argv.slice(2);
  let address: string;
  if (kind === "proxy" && origin) address = await startProxy(origin);
  else if (kind === "ext-proc") address = (await startNoopExtProc()).address;
  else throw new Error("usage: noop-hop-main (proxy <upstream origin> | ext-proc)");
  for (const signal of ["SIGTERM", "SIGINT"] as const) process.once(signal, () => process.exit(0));
  console.log(`no-op hop listening on ${address}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
