import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createMcpHttpApp, SessionRegistry } from "@mcp-gateway/example-kit";
import { createWeatherMcpServer } from "@mcp-gateway/example-weather";

/** A real MCP SDK upstream (the weather server's tools) that counts its live sessions and records DELETEs. */
export interface SessionCountingUpstream {
  url: string;
  /** Sessions initialized and not yet ended. */
  live(): number;
  /** The `mcp-session-id` of every DELETE received, in order. */
  readonly deleted: string[];
  close(): Promise<void>;
}

/** Starts a {@link SessionCountingUpstream} on 127.0.0.1 and a free port. */
export async function startSessionCountingUpstream(): Promise<SessionCountingUpstream> {
  const sessions = new SessionRegistry(createWeatherMcpServer);
  const app = createMcpHttpApp(sessions);
  const deleted: string[] = [];
  const server = createServer((req, res) => {
    if (req.method === "DELETE") deleted.push(String(req.headers["mcp-session-id"]));
    app(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    live: () => sessions.count(),
    deleted,
    close: async () => {
      await sessions.closeAll();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
