import { ROOT_CONTEXT, trace, type Context } from "@opentelemetry/api";
import { nullRecord } from "../own-keys";
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from "@opentelemetry/core";

/** W3C trace context and baggage, the propagation the MCP semantic conventions name for headers and `params._meta`. */
export const W3C_PROPAGATOR = new CompositePropagator({
  propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()],
});

/** The carrier keys the W3C propagators read and write (unprefixed, as in `_meta`). */
export const PROPAGATION_KEYS = ["traceparent", "tracestate", "baggage"] as const;

// A carrier is read only through string values: a client's `_meta` may hold anything under these keys.
const getter = {
  keys: (carrier: Readonly<Record<string, unknown>>): string[] => Object.keys(carrier),
  get: (carrier: Readonly<Record<string, unknown>>, key: string): string | undefined => {
    const value = Object.prototype.hasOwnProperty.call(carrier, key) ? carrier[key] : undefined;
    return typeof value === "string" ? value : undefined;
  },
};

const setter = {
  set: (carrier: Record<string, unknown>, key: string, value: string): void => {
    carrier[key] = value;
  },
};

/** The `params._meta` object of a parsed JSON-RPC message, when it has one. */
export function metaOf(message: unknown): Readonly<Record<string, unknown>> | undefined {
  if (typeof message !== "object" || message === null) return undefined;
  const params = (message as { params?: unknown }).params;
  if (typeof params !== "object" || params === null || Array.isArray(params)) return undefined;
  const meta = (params as { _meta?: unknown })._meta;
  return typeof meta === "object" && meta !== null && !Array.isArray(meta)
    ? (meta as Record<string, unknown>)
    : undefined;
}

/** The remote parent a carrier names, or undefined when it names none (absent or malformed). Never throws. */
export function extractRemote(carrier: Readonly<Record<string, unknown>> | undefined): Context | undefined {
  if (carrier === undefined) return undefined;
  try {
    const extracted = W3C_PROPAGATOR.extract(ROOT_CONTEXT, carrier, getter);
    const spanContext = trace.getSpanContext(extracted);
    return spanContext && trace.isSpanContextValid(spanContext) ? extracted : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The parent of a request's server span as the MCP semantic conventions order it: the context in `params._meta`
 * when valid, else the transport's (HTTP headers, or the ext_proc stream's metadata). `transport` is returned too,
 * to be linked when `_meta` wins.
 */
export function requestParent(
  meta: Readonly<Record<string, unknown>> | undefined,
  ...transports: (Readonly<Record<string, unknown>> | undefined)[]
): { parent: Context; transport?: Context | undefined } {
  let transport: Context | undefined;
  for (const carrier of transports) {
    transport = extractRemote(carrier);
    if (transport) break;
  }
  const fromMeta = extractRemote(meta);
  return fromMeta ? { parent: fromMeta, transport } : { parent: transport ?? ROOT_CONTEXT };
}

/** The W3C fields (`traceparent`, and `tracestate`/`baggage` when set) that carry `ctx` to a peer. */
export function injectedFields(ctx: Context): Record<string, string> {
  const carrier = nullRecord<string>();
  W3C_PROPAGATOR.inject(ctx, carrier, setter);
  return carrier;
}

/**
 * A copy of a JSON-RPC message with `fields` added to `params._meta` (created when absent); the message itself when it
 * is not an object with object params (nothing to write into).
 */
export function withMeta<T>(message: T, fields: Readonly<Record<string, string>>): T {
  if (typeof message !== "object" || message === null || Array.isArray(message)) return message;
  const record = message as Record<string, unknown>;
  const params = record["params"] ?? {};
  if (typeof params !== "object" || params === null || Array.isArray(params)) return message;
  return { ...record, params: { ...params, _meta: { ...metaOf(record), ...fields } } } as T;
}

/** A JSON body parsed, or undefined when it is not JSON. Never throws. */
export function parseBody(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString("utf8"));
  } catch {
    return undefined;
  }
}

/** The trace and span id a context carries, or undefined for none (for tests and logs). */
export function traceIdsOf(ctx: Context | undefined): { traceId: string; spanId: string } | undefined {
  const spanContext = ctx ? trace.getSpanContext(ctx) : undefined;
  return spanContext ? { traceId: spanContext.traceId, spanId: spanContext.spanId } : undefined;
}
