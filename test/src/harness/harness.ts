import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as grpc from "@grpc/grpc-js";
import { loadExtProcService } from "@mcp-gateway/router";
import { loadEnvoyConfig } from "./envoy-config";
import { Exchange, type ExchangeDeps } from "./exchange";
import type { HarnessRecord } from "./harness-record";
import type { ExtProcStream } from "./ext-proc-stream";
import { createUpstreamAgents } from "./upstream";

/** Options of `startEnvoyHarness`. */
export interface EnvoyHarnessOptions {
  /** An Envoy v3 bootstrap YAML with static_resources (listener, HCM with ext_proc + router, clusters). */
  envoyConfigPath: string;
  /** Port to listen on, on 127.0.0.1 (default 0: any free port). */
  listenPort?: number;
}

/** A running stand-in for Envoy, plus what it observed. */
export interface EnvoyHarness extends HarnessRecord {
  /** `http://127.0.0.1:<port>`. */
  url: string;
  port: number;
  /** Stops listening, resets open connections and ext_proc streams, closes the gRPC channel. */
  close(): Promise<void>;
}

function listen(server: http.Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      server.off("error", reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/**
 * Starts an HTTP/1.1 listener on 127.0.0.1 that treats each request as Envoy would with the given config: ext_proc
 * phases over one gRPC `Process` stream per request (request headers, buffered request body, response headers),
 * Envoy's mutation and failure rules, then routing by the config's route table to the clusters' endpoints.
 * Throws an EnvoyConfigError at start for configs it cannot emulate faithfully.
 */
export async function startEnvoyHarness(options: EnvoyHarnessOptions): Promise<EnvoyHarness> {
  const config = loadEnvoyConfig(options.envoyConfigPath);
  const processor = config.clusters.get(config.extProc.clusterName);
  if (!processor) throw new Error(`ext_proc cluster ${config.extProc.clusterName} is missing`);
  const { Client } = loadExtProcService();
  const client = new Client(`${processor.address}:${processor.port}`, grpc.credentials.createInsecure());
  const streams = new Set<ExtProcStream>();
  const record: HarnessRecord = { lastRoutes: [], modeOverrides: [], localReplies: [] };
  const agents = createUpstreamAgents();
  const deps: ExchangeDeps = { config, client, agents, streams, record };
  const server = http.createServer((req, res) => void new Exchange(deps, req, res).run());
  const port = await listen(server, options.listenPort ?? 0).catch((error: unknown) => {
    client.close();
    throw error;
  });
  return Object.assign(record, {
    url: `http://127.0.0.1:${port}`,
    port,
    async close(): Promise<void> {
      await closeServer(server);
      for (const stream of streams) stream.cancel();
      client.close();
      agents.http.destroy();
      agents.https.destroy();
    },
  });
}
