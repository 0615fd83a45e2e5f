import { context as otelContext, SpanKind, trace, type Link, type Tracer } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
} from "@opentelemetry/sdk-trace-base";
import type { TracingConfig } from "../config/tracing-schema";
import type { ResultRedactor } from "../sanitize";
import { messageFacts, requestAttributes, spanNameOf, streamAttributes, type ArgumentCapture } from "./mcp-attributes";
import { metaOf, requestParent } from "./propagation";
import { markTracingActive, RequestSpan, TRACER_KEY } from "./request-span";

/** What a request span starts from. */
export interface RequestSpanInput {
  /** The parsed JSON-RPC message (anything unparsable: undefined). */
  message: unknown;
  /** The HTTP request's headers (lower-case names): W3C context, protocol version, session id. */
  headers: Readonly<Record<string, string | undefined>>;
  /** A transport carrier tried before the headers (the ext_proc stream's gRPC metadata: Envoy's own span). */
  transport?: Readonly<Record<string, unknown>> | undefined;
  /** When the request began (epoch ms), if before the span starts (the router learns the body later). */
  startTime?: number | undefined;
  /** `GET` or `DELETE` of /mcp (no JSON-RPC message): the span is named `{method} /mcp`, with HTTP attributes. */
  httpMethod?: "GET" | "DELETE" | undefined;
}

/** The gateway's tracing when `tracing.enabled`: request spans exported over OTLP/HTTP. */
export interface GatewayTracing {
  readonly captureContent: boolean;
  /** Starts the SERVER span of one MCP request, parented per the MCP conventions (`_meta`, else the transport). */
  startRequest(input: RequestSpanInput): RequestSpan;
  /** Flushes pending spans and stops exporting. */
  shutdown(): Promise<void>;
}

/** `<endpoint>/v1/traces` unless the endpoint already names that path. */
export function tracesUrl(endpoint: string): string {
  const base = endpoint.replace(/\/+$/, "");
  return base.endsWith("/v1/traces") ? base : `${base}/v1/traces`;
}

/**
 * The gateway's tracing, or undefined when `tracing.enabled` is false: callers test that once, so tracing off costs
 * no span, no context and no SDK work on the request path. `argumentsRedactor`: the `sanitize` redaction captured
 * arguments go through (every rule's, see Redactor.forAnyCall), read per request so a reload applies.
 */
export function createTracing(
  config: TracingConfig,
  version = "0.1.0",
  argumentsRedactor: () => ResultRedactor | undefined = () => undefined,
): GatewayTracing | undefined {
  if (!config.enabled) return undefined;
  // Process-wide, idempotent: the async context that carries a request's span into its awaits (child spans).
  otelContext.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  markTracingActive();
  const exporter = new OTLPTraceExporter({ url: tracesUrl(config.endpoint), headers: { ...config.headers } });
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ "service.name": config.serviceName, "service.version": version }),
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(config.sampleRatio) }),
    spanProcessors: [new BatchSpanProcessor(exporter, { scheduledDelayMillis: 500 })],
  });
  const tracer = provider.getTracer("mcp-gateway", version);
  return {
    captureContent: config.captureContent,
    startRequest: (input) =>
      startRequest(tracer, config.captureContent ? { redactor: argumentsRedactor() } : false, input),
    shutdown: () => provider.shutdown(),
  };
}

function startRequest(tracer: Tracer, capture: ArgumentCapture, input: RequestSpanInput): RequestSpan {
  const facts = messageFacts(input.message);
  const { parent, transport } = requestParent(metaOf(input.message), input.transport, input.headers);
  const linked = transport ? trace.getSpanContext(transport) : undefined;
  const links: Link[] = linked ? [{ context: linked }] : [];
  const { httpMethod } = input;
  const span = tracer.startSpan(
    httpMethod ? `${httpMethod} /mcp` : spanNameOf(facts),
    {
      kind: SpanKind.SERVER,
      attributes: httpMethod
        ? streamAttributes(httpMethod, input.headers)
        : requestAttributes(facts, input.headers, capture),
      links,
      ...(input.startTime !== undefined ? { startTime: input.startTime } : {}),
    },
    parent,
  );
  const active = trace.setSpan(parent, span).setValue(TRACER_KEY, tracer);
  // Only a tools/call's result is recorded, and only from the reply the client receives (see RequestSpan.clientReply).
  const capturedId = !capture || facts.toolName === undefined || httpMethod ? undefined : facts.id;
  return new RequestSpan(tracer, span, active, capturedId);
}
