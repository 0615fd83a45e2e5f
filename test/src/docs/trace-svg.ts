import type { JaegerSpan, JaegerTrace } from "../support/jaeger";

const ROW = 24;
const LABEL_WIDTH = 470;
const BAR_WIDTH = 430;
const TOP = 34;

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The trace's spans depth-first from its roots, each with its depth (children by start time). */
export function spanTree(trace: JaegerTrace): { span: JaegerSpan; depth: number }[] {
  const ids = new Set(trace.spans.map((s) => s.spanID));
  const parentOf = (s: JaegerSpan): string | undefined =>
    s.references.find((r) => r.refType === "CHILD_OF" && ids.has(r.spanID))?.spanID;
  const children = new Map<string | undefined, JaegerSpan[]>();
  for (const span of trace.spans) {
    const parent = parentOf(span);
    children.set(parent, [...(children.get(parent) ?? []), span]);
  }
  const ordered: { span: JaegerSpan; depth: number }[] = [];
  const visit = (parent: string | undefined, depth: number): void => {
    for (const span of [...(children.get(parent) ?? [])].sort((a, b) => a.startTime - b.startTime)) {
      ordered.push({ span, depth });
      visit(span.spanID, depth + 1);
    }
  };
  visit(undefined, 0);
  return ordered;
}

/** An SVG waterfall of `trace`: one row per span (service · operation, indented by depth), bars on a shared time axis. */
export function traceSvg(trace: JaegerTrace, title: string): string {
  const rows = spanTree(trace);
  const start = Math.min(...trace.spans.map((s) => s.startTime));
  const end = Math.max(...trace.spans.map((s) => s.startTime + s.duration));
  const scale = BAR_WIDTH / Math.max(1, end - start);
  const height = TOP + rows.length * ROW + 10;
  const width = LABEL_WIDTH + BAR_WIDTH + 90;
  const lines = rows.map(({ span, depth }, index) => {
    const y = TOP + index * ROW;
    const service = trace.processes[span.processID]?.serviceName ?? "?";
    const x = LABEL_WIDTH + (span.startTime - start) * scale;
    const barWidth = Math.max(1.5, span.duration * scale);
    const fill = service.endsWith("-envoy") ? "#7b61ff" : service.startsWith("mcp-gateway") ? "#1f8a70" : "#c0392b";
    const label = `${service} · ${span.operationName}`;
    return [
      `<text x="${8 + depth * 14}" y="${y + 16}">${escapeXml(label)}</text>`,
      `<rect x="${x.toFixed(1)}" y="${y + 5}" width="${barWidth.toFixed(1)}" height="14" rx="2" fill="${fill}"/>`,
      `<text x="${(x + barWidth + 6).toFixed(1)}" y="${y + 16}" class="ms">${(span.duration / 1000).toFixed(2)} ms</text>`,
    ].join("");
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    `<style>text{font:12px monospace;fill:#222}.ms{fill:#666}.title{font-weight:bold}</style>`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="8" y="20" class="title">${escapeXml(title)}</text>`,
    ...lines,
    `</svg>`,
    "",
  ].join("\n");
}
