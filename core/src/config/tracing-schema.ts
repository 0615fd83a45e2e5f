import { z } from "zod";
import { HEADER_NAME_RE, HEADER_VALUE_RE, httpUrl } from "./fields";

/**
 * The `tracing` section: OpenTelemetry traces exported over OTLP/HTTP (see docs/observability.md). Off by default;
 * read once at start (restart to change it). In Envoy mode `render-envoy` points Envoy's own tracer at the same
 * collector.
 */
export const tracingSchema = z
  .object({
    enabled: z.boolean().default(false),
    /** The collector's OTLP/HTTP base URL; spans go to `<endpoint>/v1/traces`. */
    endpoint: httpUrl.default("http://127.0.0.1:4318"),
    /** `service.name` of the gateway's spans (Envoy's: the same with `-envoy` appended). */
    serviceName: z.string().min(1).max(128).default("mcp-gateway"),
    /** Share of new traces recorded (0 to 1); a request whose caller sent a sampled trace context follows its parent. */
    sampleRatio: z.number().min(0).max(1).default(1),
    /** Opt-in: record tools/call arguments and results (`gen_ai.tool.call.arguments` / `.result`) on spans. */
    captureContent: z.boolean().default(false),
    /** Headers sent with every export (e.g. a collector's API key, via `${env:NAME}`). */
    headers: z
      .record(
        z.string().regex(HEADER_NAME_RE, "expected an HTTP header name"),
        z.string().regex(HEADER_VALUE_RE, "expected an HTTP header value without control characters"),
      )
      .default({}),
  })
  .strict();

/** The validated `tracing` section. */
export type TracingConfig = z.output<typeof tracingSchema>;
