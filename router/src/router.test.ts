import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { createGatewayContext, parseConfig, silentLogger, type GatewayContext } from "@mcp-gateway/core";
import { protoPath } from "grpc-health-check";
import { startServer } from "../../examples/weather-server/src/index";
import type { ProcessingRequest, ProcessingResponse } from "./ext-proc-messages";
import { loadExtProcService } from "./ext-proc-proto";
import { RouterMetrics } from "./metrics";
import { createRouter, EXT_PROC_SERVICE_NAME, maxProcessMessageBytes, type Router } from "./router";

type HealthClient = grpc.Client & {
  check(
    request: { service: string },
    callback: (error: grpc.ServiceError | null, reply?: { status: string }) => void,
  ): void;
};

let weather: Awaited<ReturnType<typeof startServer>>;
let context: GatewayContext;
let router: Router;
let address: string;

beforeAll(async () => {
  weather = await startServer({ port: 0 });
  context = await createGatewayContext(
    parseConfig(`version: 1\nauth: none\nservers:\n  - { name: weather, url: "${weather.url}" }\n`, {}),
    { logger: silentLogger },
  );
  await context.upstreams.settled();
  router = createRouter({ context, logger: silentLogger, metrics: new RouterMetrics({ defaultMetrics: false }) });
  address = `127.0.0.1:${await router.listen("127.0.0.1:0")}`;
});
afterAll(async () => {
  await router.shutdown(500);
  await context.close();
  await weather.close();
});

function healthClient(): HealthClient {
  const definition = protoLoader.loadSync(protoPath, { keepCase: true, enums: String });
  const loaded = grpc.loadPackageDefinition(definition) as unknown as {
    grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } };
  };
  return new loaded.grpc.health.v1.Health(address, grpc.credentials.createInsecure()) as unknown as HealthClient;
}

function check(client: HealthClient, service: string): Promise<string> {
  return new Promise((resolve, reject) =>
    client.check({ service }, (error, reply) => (error ? reject(error) : resolve(reply?.status ?? ""))),
  );
}

/** Sends messages on one real ext_proc stream, waiting for each answer, and collects the answers. */
function exchange(messages: ProcessingRequest[]): Promise<ProcessingResponse[]> {
  const { Client } = loadExtProcService();
  const client = new Client(address, grpc.credentials.createInsecure()) as unknown as grpc.Client & {
    Process(): grpc.ClientDuplexStream<ProcessingRequest, ProcessingResponse>;
  };
  return new Promise((resolve, reject) => {
    const answers: ProcessingResponse[] = [];
    const stream = client.Process();
    const next = (): void => {
      const message = messages[answers.length];
      if (message) stream.write(message);
      else stream.end();
    };
    stream.on("data", (answer: ProcessingResponse) => {
      answers.push(answer);
      next();
    });
    stream.on("end", () => {
      client.close();
      resolve(answers);
    });
    stream.on("error", reject);
    next();
  });
}

const header = (key: string, value: string): { key: string; raw_value: Buffer } => ({
  key,
  raw_value: Buffer.from(value),
});

describe("router gRPC server", () => {
  it("reports SERVING for the overall and the ext_proc service", async () => {
    const client = healthClient();
    expect(await check(client, "")).toBe("SERVING");
    expect(await check(client, EXT_PROC_SERVICE_NAME)).toBe("SERVING");
    client.close();
  });

  it("answers each message of a stream exactly once, in order, over real gRPC", async () => {
    const session = context.sessions.issue();
    const body = Buffer.from(
      JSON.stringify({
        jsonrpc: "2.0",
        id: 1,
        method: "tools/call",
        params: { name: "weather_get_alerts", arguments: { region: "north" } },
      }),
    );
    const answers = await exchange([
      {
        request_headers: {
          headers: {
            headers: [
              header(":method", "POST"),
              header(":path", "/mcp"),
              header("mcp-session-id", session),
              header("x-destination-mcp", "evil"),
            ],
          },
        },
      },
      { request_body: { body, end_of_stream: true } },
      { response_headers: { headers: { headers: [header(":status", "200"), header("mcp-session-id", "backend")] } } },
    ]);
    // Request-phase answers carry the access-log metadata; the response phase adds none.
    expect(answers.map((a) => Object.keys(a).filter((k) => !k.startsWith("_") && k !== "response"))).toEqual([
      ["request_headers", "dynamic_metadata"],
      ["request_body", "dynamic_metadata"],
      ["response_headers"],
    ]);
    const mutation = (
      answers[1] as {
        request_body: {
          response: { header_mutation: { set_headers: { header: { key: string; raw_value: Buffer } }[] } };
        };
      }
    ).request_body.response.header_mutation;
    const destination = mutation.set_headers.find((h) => h.header.key === "x-destination-mcp");
    expect(destination?.header.raw_value.toString()).toBe("weather");
  });

  it("keeps no channelz records (nothing serves them; tracking each stream costs CPU per request)", () => {
    // grpc-js keeps the option only as this flag: with channelz on, every stream is counted in its trackers.
    expect((router.server as unknown as { channelzEnabled: boolean }).channelzEnabled).toBe(false);
  });

  it("counts decisions in its metrics", async () => {
    const text = await router.metrics.registry.metrics();
    expect(text).toMatch(/mcp_router_decisions_total\{target="tools\/call",outcome="routed"\} [1-9]/);
    expect(text).toContain("mcp_router_processing_seconds_bucket");
  });
});

describe("router shutdown", () => {
  it("stops accepting streams after a graceful shutdown", async () => {
    const other = createRouter({
      context,
      logger: silentLogger,
      metrics: new RouterMetrics({ defaultMetrics: false }),
    });
    const port = await other.listen("127.0.0.1:0");
    const client = new (loadExtProcService().Client)(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    await other.shutdown(200);
    const failed = await new Promise<boolean>((resolve) => {
      client.waitForReady(Date.now() + 500, (error) => resolve(error !== undefined && error !== null));
    });
    expect(failed).toBe(true);
    client.close();
  });
});

describe("maxProcessMessageBytes", () => {
  // A whole buffered body plus headers must fit one gRPC message (gRPC's default cap is 4 MiB).
  it.each([
    [{ maxBodyBytes: 1_048_576, maxHeaderBytes: 16_384 }, 4 * 1024 * 1024],
    [{ maxBodyBytes: 6 * 1024 * 1024, maxHeaderBytes: 16_384 }, 6 * 1024 * 1024 + 32_768 + 65_536],
  ])("%o → %i bytes", (limits, bytes) => {
    expect(maxProcessMessageBytes(limits)).toBe(bytes);
  });
});
