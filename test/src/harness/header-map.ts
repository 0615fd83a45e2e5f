import type { OutgoingHttpHeaders } from "node:http";

/** One header as Envoy's ext_proc messages carry it: lower-case key, value as raw bytes. */
export interface ProtoHeader {
  key: string;
  raw_value: Buffer;
}

/**
 * Hop-by-hop headers Envoy's connection manager strips from HTTP/1 messages before any filter sees them
 * (`te` is kept only when it is exactly "trailers").
 */
const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade"]);

/**
 * An ordered, multi-valued header list with lower-case names and pseudo-headers first, the way Envoy's header map
 * holds a request or response. Values are latin1 strings, so every byte of a `raw_value` survives the round trip.
 */
export class HeaderMap {
  private readonly entries: Array<[string, string]> = [];

  /** Builds a map from `[name, value]` pairs, lower-casing names. */
  constructor(entries: Iterable<readonly [string, string]> = []) {
    for (const [name, value] of entries) this.add(name, value);
  }

  /** Reads Node's `rawHeaders` (name, value, name, value, …), dropping hop-by-hop headers as Envoy does. */
  static fromRaw(rawHeaders: readonly string[], options: { dropHost: boolean }): HeaderMap {
    const map = new HeaderMap();
    for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
      const name = (rawHeaders[i] ?? "").toLowerCase();
      const value = rawHeaders[i + 1] ?? "";
      if (HOP_BY_HOP.has(name) || (name === "te" && value.toLowerCase() !== "trailers")) continue;
      if (options.dropHost && name === "host") continue;
      map.add(name, value);
    }
    return map;
  }

  /** First value of `name`, or undefined. */
  get(name: string): string | undefined {
    const key = name.toLowerCase();
    return this.entries.find(([n]) => n === key)?.[1];
  }

  /** All values of `name` in order. */
  getAll(name: string): string[] {
    const key = name.toLowerCase();
    return this.entries.filter(([n]) => n === key).map(([, v]) => v);
  }

  /** Whether `name` is present. */
  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  /** Replaces every value of `name` with one value, keeping the first entry's position (Envoy's setCopy). */
  set(name: string, value: string): void {
    const key = name.toLowerCase();
    const index = this.entries.findIndex(([n]) => n === key);
    if (index < 0) {
      this.add(key, value);
      return;
    }
    this.entries[index] = [key, value];
    for (let i = this.entries.length - 1; i > index; i--) {
      if (this.entries[i]?.[0] === key) this.entries.splice(i, 1);
    }
  }

  /** Adds one more value for `name`; a pseudo-header goes after the existing pseudo-headers. */
  add(name: string, value: string): void {
    const key = name.toLowerCase();
    if (!key.startsWith(":")) {
      this.entries.push([key, value]);
      return;
    }
    const firstRegular = this.entries.findIndex(([n]) => !n.startsWith(":"));
    this.entries.splice(firstRegular < 0 ? this.entries.length : firstRegular, 0, [key, value]);
  }

  /** Removes every value of `name`. */
  remove(name: string): void {
    const key = name.toLowerCase();
    for (let i = this.entries.length - 1; i >= 0; i--) {
      if (this.entries[i]?.[0] === key) this.entries.splice(i, 1);
    }
  }

  /** A copy of the entries in order. */
  list(): Array<[string, string]> {
    return this.entries.map(([n, v]) => [n, v]);
  }

  /** The `HeaderMap` proto Envoy sends: one entry per value, value in `raw_value` only. */
  toProto(): { headers: ProtoHeader[] } {
    return { headers: this.entries.map(([key, v]) => ({ key, raw_value: Buffer.from(v, "latin1") })) };
  }

  /** Node outgoing headers without pseudo-headers and without `skip`; repeated names become arrays. */
  toNode(skip: readonly string[] = []): OutgoingHttpHeaders {
    const out: Record<string, string | string[]> = {};
    for (const [name, value] of this.entries) {
      if (name.startsWith(":") || skip.includes(name)) continue;
      const existing = out[name];
      if (existing === undefined) out[name] = value;
      else out[name] = Array.isArray(existing) ? [...existing, value] : [existing, value];
    }
    return out;
  }

  /** Envoy's view of one header for route matching: all values joined with ",". */
  joined(name: string): string | undefined {
    const values = this.getAll(name);
    return values.length === 0 ? undefined : values.join(",");
  }
}
