import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** What /readyz reports: whether the replica is ready, and why (no secrets: role and sync state only). */
export interface Readiness {
  ready: boolean;
  role: "leader" | "standby";
  reason: string;
}

/** A running health listener: its bound address, and close. */
export interface HealthServer {
  address: AddressInfo;
  close(): Promise<void>;
}

/**
 * The controller's probe listener: GET /healthz answers 200 while the process serves requests (liveness), GET /readyz
 * 200 or 503 from `readiness` (see Controller.readiness); any other path or method gets 404 / 405.
 */
export async function startHealthServer(host: string, port: number, readiness: () => Readiness): Promise<HealthServer> {
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? "").split("?")[0];
    const reply = (status: number, body: object): void => {
      response.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" });
      response.end(JSON.stringify(body));
    };
    if (path !== "/healthz" && path !== "/readyz") return reply(404, { error: "not found" });
    if (request.method !== "GET" && request.method !== "HEAD") return reply(405, { error: "method not allowed" });
    if (path === "/healthz") return reply(200, { status: "ok" });
    const state = readiness();
    reply(state.ready ? 200 : 503, {
      status: state.ready ? "ready" : "not ready",
      role: state.role,
      reason: state.reason,
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return {
    address: server.address() as AddressInfo,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
