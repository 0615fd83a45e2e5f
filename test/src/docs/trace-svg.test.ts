import fc from "fast-check";
import type { JaegerSpan, JaegerTrace } from "../support/jaeger";
import { spanTree, traceSvg } from "./trace-svg";

function span(id: string, parent: string | undefined, start: number, name = id): JaegerSpan {
  const references = parent ? [{ refType: "CHILD_OF", traceID: "t", spanID: parent }] : [];
  return {
    traceID: "t",
    spanID: id,
    operationName: name,
    references,
    tags: [],
    processID: "p1",
    startTime: start,
    duration: 10,
  };
}

const traceOf = (spans: JaegerSpan[]): JaegerTrace => ({
  traceID: "t",
  spans,
  processes: { p1: { serviceName: "svc" } },
});

describe("the trace picture's layout", () => {
  it("lists every span once, each parent before its children, siblings by start time", () => {
    // Random forests: span i's parent is an earlier span or none (a root), or a span outside the trace.
    const forest = fc.array(fc.tuple(fc.nat(), fc.boolean(), fc.nat(1000)), { minLength: 1, maxLength: 30 });
    fc.assert(
      fc.property(forest, (shape) => {
        const spans = shape.map(([parentPick, isRoot, start], i) =>
          span(`s${i}`, i === 0 || isRoot ? (parentPick % 2 ? "outside" : undefined) : `s${parentPick % i}`, start),
        );
        const rows = spanTree(traceOf(spans));
        expect(rows.map((r) => r.span.spanID).sort()).toEqual(spans.map((s) => s.spanID).sort());
        const position = new Map(rows.map((r, i) => [r.span.spanID, i]));
        for (const { span: s, depth } of rows) {
          const parent = s.references[0]?.spanID;
          if (parent !== undefined && position.has(parent)) {
            expect(position.get(parent)).toBeLessThan(position.get(s.spanID) ?? -1);
            expect(depth).toBe((rows[position.get(parent) ?? 0]?.depth ?? 0) + 1);
          } else expect(depth).toBe(0);
        }
      }),
    );
  });

  it("escapes operation names (they come from clients) in the SVG", () => {
    const svg = traceSvg(traceOf([span("a", undefined, 0, `tools/call <script>"x"&`)]), "t");
    expect(svg).not.toContain("<script>");
    expect(svg).toContain("&#60;script&#62;&#34;x&#34;&#38;");
  });
});
