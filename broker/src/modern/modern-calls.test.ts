import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Client } from "@modelcontextprotocol/client";
import {
  createGatewayContext,
  GatewayError,
  JsonRpcErrorCode,
  parseConfig,
  silentLogger,
  type GatewayContext,
} from "@mcp-gateway/core";
import { startServer as startWeather, type RunningServer } from "../../../examples/weather-server/src/index";
import { createBrokerApp } from "../app";
import { BrokerMetrics } from "../metrics";
import { NotificationHub } from "../notification-hub";
import { gatewayYaml, startBroker } from "../testing/broker-fixture";
import { connectModernClient, envelope, MODERN } from "../testing/modern-client";
import { postMcp } from "../testing/broker-fixture";
import { createModernFrontEnd, type ModernFrontEnd } from "./modern-edge";
import type { ModernCallInput, ModernCallOutcome } from "./upstream-call";

/** A modern tools/call over raw HTTP with the given client capabilities. */
function rawCall(url: string, name: string, capabilities: Record<string, unknown> = {}) {
  const params = { name, arguments: { city: "Paris" }, _meta: envelope(capabilities) };
  const headers = { "mcp-protocol-version": MODERN, "mcp-method": "tools/call", "mcp-name": name };
  return postMcp(url, { jsonrpc: "2.0", id: "call-1", method: "tools/call", params }, headers);
}

describe("routed modern calls go through the ModernCaller (a fake call bridge)", () => {
  let weather: RunningServer;
  let context: GatewayContext;
  let modern: ModernFrontEnd;
  let listening: Server;
  let url: string;
  let client: Client;
  const calls: ModernCallInput[] = [];
  let next: (input: ModernCallInput) => Promise<ModernCallOutcome>;

  beforeAll(async () => {
    weather = await startWeather({ port: 0 });
    context = await createGatewayContext(parseConfig(gatewayYaml([{ name: "weather", url: weather.url }]), {}), {
      logger: silentLogger,
    });
    await context.upstreams.settled();
    modern = createModernFrontEnd({
      context,
      callUpstream: (input) => {
        calls.push(input);
        return next(input);
      },
    });
    const app = createBrokerApp({
      context,
      hub: new NotificationHub(),
      metrics: new BrokerMetrics(),
      modern,
      edge: true,
    });
    listening = app.listen(0, "127.0.0.1");
    await new Promise((resolve) => listening.once("listening", resolve));
    url = `http://127.0.0.1:${(listening.address() as AddressInfo).port}/mcp`;
    client = await connectModernClient(url);
  });

  beforeEach(() => {
    calls.length = 0;
  });

  afterAll(async () => {
    await client.close();
    await modern.close();
    listening.closeAllConnections();
    await new Promise((resolve) => listening.close(resolve));
    await context.close();
    await weather.close();
  });

  it("hands the call over with the caller, the prefixed name, the client's _meta and capabilities", async () => {
    next = () => Promise.resolve({ kind: "result", result: { content: [{ type: "text", text: "sunny" }] } });
    const result = await client.callTool({ name: "weather_get_forecast", arguments: { city: "Paris" } });
    expect(result.content).toEqual([{ type: "text", text: "sunny" }]);
    expect(calls).toHaveLength(1);
    const [input] = calls;
    expect(input?.method).toBe("tools/call");
    expect(input?.caller.identity.consumer).toBe("anonymous");
    expect(input?.params["name"]).toBe("weather_get_forecast");
    expect(input?.params["arguments"]).toEqual({ city: "Paris" });
    expect(input?.params["_meta"]).toMatchObject({ "io.modelcontextprotocol/protocolVersion": MODERN });
    expect(input?.clientCapabilities).toEqual(expect.any(Object));
    expect(input?.signal).toBeInstanceOf(AbortSignal);
  });

  it("returns an input_required outcome as an input-required result", async () => {
    const inputRequests = {
      ask: {
        method: "elicitation/create",
        params: { mode: "form", message: "City?", requestedSchema: { type: "object", properties: {} } },
      },
    };
    next = () => Promise.resolve({ kind: "input_required", inputRequests, requestState: "sealed-state" });
    const reply = await rawCall(url, "weather_get_forecast", { elicitation: { form: {} } });
    expect(reply.status).toBe(200);
    expect(reply.json.result).toMatchObject({
      resultType: "input_required",
      inputRequests,
      requestState: "sealed-state",
    });
  });

  it("answers a GatewayError from the bridge as a JSON-RPC error with its code, message and data", async () => {
    next = () =>
      Promise.reject(
        new GatewayError(JsonRpcErrorCode.Forbidden, "consumer may not call tool", { httpStatus: 403, data: { x: 1 } }),
      );
    const reply = await rawCall(url, "weather_get_forecast");
    expect(reply.json).toMatchObject({
      id: "call-1",
      error: { code: JsonRpcErrorCode.Forbidden, message: "consumer may not call tool", data: { x: 1 } },
    });
  });

  it("never shows the text of an unexpected error", async () => {
    next = () => Promise.reject(new Error("connect ECONNREFUSED 10.0.0.7:9000"));
    const reply = await rawCall(url, "weather_get_forecast");
    expect(reply.json.error.code).toBe(JsonRpcErrorCode.InternalError);
    expect(JSON.stringify(reply.json)).not.toContain("10.0.0.7");
  });

  it("refuses an unknown prefixed tool with -32602 before the bridge sees it", async () => {
    next = () => Promise.resolve({ kind: "result", result: { content: [] } });
    const reply = await rawCall(url, "weather_no_such_tool");
    expect(reply.json).toMatchObject({ id: "call-1", error: { code: JsonRpcErrorCode.InvalidParams } });
    expect(calls).toHaveLength(0);
  });
});

describe("with the gateway's call bridge", () => {
  it("answers a modern client's call to a 2025 upstream with the upstream's own result, made modern", async () => {
    const weather = await startWeather({ port: 0 });
    const gateway = await startBroker(gatewayYaml([{ name: "weather", url: weather.url }]), { standalone: true });
    try {
      const reply = await rawCall(gateway.mcpUrl, "weather_get_forecast");
      expect(reply.status).toBe(200);
      expect(reply.json).toMatchObject({ id: "call-1", result: { resultType: "complete" } });
      expect(JSON.stringify(reply.json.result.content)).toContain("Paris");
    } finally {
      await gateway.close();
      await weather.close();
    }
  });
});
