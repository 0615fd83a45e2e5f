import fc from "fast-check";
import { MAX_GATEWAY_TASK_ID_CHARS, MAX_UPSTREAM_TASK_ID_CHARS, TaskIdCodec } from "@mcp-gateway/core";
import type { FuzzCase } from "../fuzz-case";

// Gateway task ids (core/src/modern/task-ids.ts): a sealed id opens to exactly the server and upstream task id it was
// sealed with, for the consumer it was issued to and nobody else, and no change to it opens at all.

const codec = new TaskIdCodec("fuzz secret of at least thirty-two characters");
const other = new TaskIdCodec("another fuzz secret, also thirty-two characters");

const consumer = fc.oneof(fc.constant(""), fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,8}$/));
const owner = fc.record({
  consumer,
  server: fc.stringMatching(/^[a-z0-9][a-z0-9_-]{0,8}$/),
  taskId: fc.string({ unit: "binary", maxLength: 40 }),
});

/** A change to a sealed id: one character replaced, removed or added, or the id cut short or extended. */
const mutation = fc.oneof(
  fc.tuple(fc.nat(), fc.constantFrom(..."Aa0_-.=+/ \u00e9")).map(
    ([at, c]) =>
      (id: string) =>
        id.slice(0, at % id.length) + c + id.slice((at % id.length) + 1),
  ),
  fc.nat().map((at) => (id: string) => id.slice(0, at % id.length) + id.slice((at % id.length) + 1)),
  fc.tuple(fc.nat(), fc.constantFrom(..."Aa0_-")).map(
    ([at, c]) =>
      (id: string) =>
        id.slice(0, at % id.length) + c + id.slice(at % id.length),
  ),
  fc.nat().map((cut) => (id: string) => id.slice(0, cut % id.length)),
);

/** The task-id properties of the fuzz suite. */
export const fuzzCases: FuzzCase[] = [
  {
    name: "a sealed task id opens to its own server and upstream id for its consumer, and is a plain header value",
    property: () =>
      fc.property(owner, (o) => {
        const id = codec.seal(o);
        const opened = codec.open(id, o.consumer);
        if (!opened.ok || opened.server !== o.server || opened.taskId !== o.taskId) {
          throw new Error(`round trip: ${JSON.stringify({ o, opened })}`);
        }
        if (!/^t1\.[A-Za-z0-9_-]+$/.test(id) || id.length > MAX_GATEWAY_TASK_ID_CHARS) {
          throw new Error(`not a plain header value within the bound: ${id}`);
        }
      }),
  },
  {
    name: "another consumer or another secret never opens a task id",
    property: () =>
      fc.property(owner, consumer, (o, someoneElse) => {
        fc.pre(someoneElse !== o.consumer);
        const id = codec.seal(o);
        if (codec.open(id, someoneElse).ok)
          throw new Error(`${JSON.stringify(someoneElse)} opened ${JSON.stringify(o)}`);
        if (other.open(id, o.consumer).ok) throw new Error("another secret opened the id");
      }),
  },
  {
    name: "no changed task id opens, whatever the change",
    property: () =>
      fc.property(owner, mutation, (o, change) => {
        const id = codec.seal(o);
        const changed = change(id);
        fc.pre(changed !== id);
        const opened = codec.open(changed, o.consumer);
        if (opened.ok) throw new Error(`changed id ${JSON.stringify(changed)} opened: ${JSON.stringify(opened)}`);
      }),
  },
  {
    name: "upstream ids up to the limit always fit the documented gateway id bound",
    property: () =>
      fc.property(
        // Code points, so up to two UTF-16 units each: cut to the limit, which counts units.
        fc
          .string({ unit: "binary", minLength: MAX_UPSTREAM_TASK_ID_CHARS - 8, maxLength: MAX_UPSTREAM_TASK_ID_CHARS })
          .map((id) => id.slice(0, MAX_UPSTREAM_TASK_ID_CHARS)),
        (taskId) => {
          const id = codec.seal({ consumer: "c", server: "s".repeat(63), taskId }, Number.MAX_SAFE_INTEGER);
          if (id.length > MAX_GATEWAY_TASK_ID_CHARS) throw new Error(`over the bound: ${id.length}`);
        },
      ),
  },
];
