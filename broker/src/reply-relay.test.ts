import { EventEmitter } from "node:events";
import { PassThrough, Readable, Writable } from "node:stream";
import type { ReplyRewriter } from "@mcp-gateway/core";
import { relayReply, RelayCutShort } from "./reply-relay";

/** A writable that keeps what it receives; `highWaterMark` small enough to exercise backpressure. */
function sink(highWaterMark = 16_384): Writable & { received: Buffer[] } {
  const received: Buffer[] = [];
  const target = new Writable({
    highWaterMark,
    write(chunk: Buffer, _encoding, callback) {
      received.push(chunk);
      setImmediate(callback);
    },
  });
  return Object.assign(target, { received });
}

const upper: ReplyRewriter = {
  contentType: undefined,
  push: (chunk) => Buffer.from(chunk.toString().toUpperCase()),
  end: () => Buffer.from("!"),
};

describe("relayReply", () => {
  it("passes each chunk on as the very same buffer when nothing rewrites (no Transform in between)", async () => {
    const chunks = [Buffer.from("event: message\n"), Buffer.from("data: {}\n\n")];
    const target = sink();
    await relayReply(Readable.from(chunks), target, undefined);
    expect(target.received).toHaveLength(2);
    expect(target.received[0]).toBe(chunks[0]);
    expect(target.received[1]).toBe(chunks[1]);
  });

  it("applies the rewriter to every chunk and sends what its end returns", async () => {
    const target = sink();
    await relayReply(Readable.from([Buffer.from("ab"), Buffer.from("c")]), target, upper);
    expect(Buffer.concat(target.received).toString()).toBe("ABC!");
  });

  it("shows every chunk to the watcher, as the upstream sent it", async () => {
    const seen: string[] = [];
    await relayReply(Readable.from([Buffer.from("x"), Buffer.from("y")]), sink(), upper, (chunk) => {
      seen.push(chunk.toString());
    });
    expect(seen).toEqual(["x", "y"]);
  });

  it("shows the sent watcher what the client is sent (rewritten), then the end", async () => {
    const sent: string[] = [];
    const watcher = { push: (chunk: Buffer) => void sent.push(chunk.toString()), end: () => void sent.push("<end>") };
    await relayReply(Readable.from([Buffer.from("x"), Buffer.from("y")]), sink(), upper, undefined, watcher);
    expect(sent).toEqual(["X", "Y", "!", "<end>"]);
  });

  it("pauses the upstream while the client is not reading and sends everything in order", async () => {
    const source = new PassThrough();
    const target = sink(1);
    const relayed = relayReply(source, target, undefined);
    const parts = Array.from({ length: 50 }, (_, i) => Buffer.from(`chunk ${i};`));
    for (const part of parts) source.write(part);
    source.end();
    await relayed;
    expect(Buffer.concat(target.received).toString()).toBe(Buffer.concat(parts).toString());
  });

  it("rejects and destroys the response when the upstream body fails", async () => {
    const source = new PassThrough();
    const target = sink();
    const relayed = relayReply(source, target, undefined);
    source.destroy(new Error("upstream reset"));
    await expect(relayed).rejects.toThrow("upstream reset");
    expect(target.destroyed).toBe(true);
  });

  it("rejects and stops reading the upstream when the client goes away", async () => {
    const source = new PassThrough();
    const target = sink();
    const relayed = relayReply(source, target, undefined);
    target.destroy();
    await expect(relayed).rejects.toBeInstanceOf(RelayCutShort);
    expect(source.destroyed).toBe(true);
  });

  it("rejects at once for a response already closed", async () => {
    const target = sink();
    target.destroy();
    await new Promise((resolve) => setImmediate(resolve));
    const source = new PassThrough();
    await expect(relayReply(source, target, undefined)).rejects.toBeInstanceOf(RelayCutShort);
    expect(source.destroyed).toBe(true);
  });

  it("rejects when the rewriter throws", async () => {
    const failing: ReplyRewriter = {
      contentType: undefined,
      push: () => {
        throw new Error("cannot rewrite");
      },
      end: () => Buffer.alloc(0),
    };
    await expect(relayReply(Readable.from([Buffer.from("x")]), sink(), failing)).rejects.toThrow("cannot rewrite");
  });

  it("leaves no listener behind once the reply has been sent", async () => {
    const source = Readable.from([Buffer.from("x")]);
    const target = sink();
    await relayReply(source, target, undefined);
    for (const emitter of [source, target] as EventEmitter[]) {
      for (const event of ["data", "end", "drain", "finish"]) expect(emitter.listenerCount(event)).toBe(0);
    }
  });
});
