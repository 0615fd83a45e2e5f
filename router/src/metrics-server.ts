import { createServer, type Server } from "node:http";
import type { Registry } from "prom-client";

/** Serves `GET /metrics` (Prometheus text) and `GET /healthz` on a plain HTTP port, next to the gRPC port. */
export function createMetricsServer(registry: Registry, isServing: () => boolean): Server {
  return createServer((request, response) => {
    const path = (request.url ?? "/").split("?")[0];
    if (request.method === "GET" && path === "/metrics") {
      registry.metrics().then(
        (text) => {
          response.writeHead(200, { "content-type": registry.contentType });
          response.end(text);
        },
        () => {
          response.writeHead(500).end();
        },
      );
      return;
    }
    if (request.method === "GET" && path === "/healthz") {
      const serving = isServing();
      response.writeHead(serving ? 200 : 503, { "content-type": "application/json" });
      response.end(JSON.stringify({ status: serving ? "serving" : "not_serving" }));
      return;
    }
    response.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ error: `no route ${path}` }));
  });
}
