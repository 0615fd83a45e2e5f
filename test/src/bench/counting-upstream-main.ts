import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { startSessionCountingUpstream } from "../support/session-counting-upstream";

// The session-counting upstream in a process of its own, so that its CPU and RSS are its own: `GET /sessions` on a
// second port answers `{ "live": <open sessions>, "deleted": <DELETEs received> }`. Stops on SIGTERM.
async function main(): Promise<void> {
  const upstream = await startSessionCountingUpstream();
  const counter = createServer((_req, res) => {
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ live: upstream.live(), deleted: upstream.deleted.length }));
  });
  await new Promise<void>((resolve) => counter.listen(0, "127.0.0.1", resolve));
  const { port } = counter.address() as AddressInfo;
  process.once("SIGTERM", () => {
    counter.close();
    void upstream.close().then(() => process.exit(0));
  });
  console.log(`counting upstream on ${upstream.url} sessions on http://127.0.0.1:${port}/sessions`);
}

void main();
