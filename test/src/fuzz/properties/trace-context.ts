import fc from "fast-check";
import { metaOf, requestParent, traceIdsOf, withMeta } from "@mcp-gateway/core";
import type { FuzzCase } from "../fuzz-case";

// Trace context from a client's `params._meta` (core/src/tracing/propagation.ts): whatever a client puts there, the
// gateway never throws, takes a context only from a well-formed traceparent, and falls back to the transport's.

const hex = (length: number) => fc.stringMatching(new RegExp(`^[0-9a-f]{${length}}$`));
const validParent = fc
  .tuple(hex(32), hex(16), fc.constantFrom("00", "01"))
  .filter(([traceId, spanId]) => !/^0+$/.test(traceId) && !/^0+$/.test(spanId))
  .map(([traceId, spanId, flags]) => ({ traceId, spanId, value: `00-${traceId}-${spanId}-${flags}` }));
const anything = fc.oneof(fc.string(), fc.anything(), fc.string({ unit: "binary" }));
const HEADER = { traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" };

/** The trace-context properties of the fuzz suite. */
export const fuzzCases: FuzzCase[] = [
  {
    name: "a malformed _meta context never throws and leaves the header's context as the parent",
    property: () =>
      fc.property(anything, anything, (traceparent, tracestate) => {
        const meta = { traceparent, tracestate };
        const malformed =
          typeof traceparent !== "string" || !/^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/.test(traceparent);
        fc.pre(malformed);
        const { parent } = requestParent(meta, HEADER);
        return traceIdsOf(parent)?.traceId === "0af7651916cd43dd8448eb211c80319c";
      }),
  },
  {
    name: "a well-formed _meta traceparent wins over the header, which is kept for a link",
    property: () =>
      fc.property(validParent, ({ traceId, spanId, value }) => {
        const { parent, transport } = requestParent({ traceparent: value }, HEADER);
        const context = traceIdsOf(parent);
        return context?.traceId === traceId && context.spanId === spanId && transport !== undefined;
      }),
  },
  {
    name: "any message body survives metaOf and withMeta without throwing, and withMeta writes where metaOf reads",
    property: () =>
      fc.property(fc.anything(), validParent, (message, { value }) => {
        metaOf(message);
        const written = withMeta(message, { traceparent: value });
        const meta = metaOf(written);
        return written === message || meta?.["traceparent"] === value;
      }),
  },
];
