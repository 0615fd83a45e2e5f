import { createServer, request, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** Which replica (by index) a request goes to, from its method and body. */
export type PickReplica = (method: string, body: Buffer) => number;

/** A running {@link startReplicaBalancer}: its URL and the replica each request went to. */
export interface ReplicaBalancer {
  url: string;
  /** Per request: the index of the replica it went to and its body. */
  sent: { replica: number; body: string }[];
  close(): Promise<void>;
}

/**
 * A plain HTTP load balancer in front of gateway replicas (no stickiness: `pick` chooses a replica per request, from
 * its body), forwarding method, path, headers (Host included, as a proxy that preserves it) and body, and streaming
 * the replica's answer (JSON or SSE) back.
 */
export async function startReplicaBalancer(replicas: readonly string[], pick: PickReplica): Promise<ReplicaBalancer> {
  const sent: ReplicaBalancer["sent"] = [];
  const server: Server = createServer((incoming, outgoing) => {
    const chunks: Buffer[] = [];
    incoming.on("data", (chunk: Buffer) => chunks.push(chunk));
    incoming.on("end", () => {
      const body = Buffer.concat(chunks);
      const replica = pick(incoming.method ?? "GET", body);
      sent.push({ replica, body: body.toString("utf8") });
      const headers: IncomingHttpHeaders = { ...incoming.headers, "content-length": String(body.length) };
      delete headers["transfer-encoding"];
      delete headers["connection"];
      const upstream = request(new URL(incoming.url ?? "/", replicas[replica]), { method: incoming.method, headers });
      upstream.on("response", (reply) => {
        outgoing.writeHead(reply.statusCode ?? 502, reply.headers);
        reply.pipe(outgoing);
      });
      upstream.on("error", () => outgoing.destroy());
      outgoing.on("close", () => upstream.destroy());
      upstream.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    sent,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
