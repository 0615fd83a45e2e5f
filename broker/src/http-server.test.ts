import type { Server } from "node:http";
import { connect } from "node:net";
import type { AddressInfo } from "node:net";
import { createBoundedServer } from "./http-server";

/** Sends `head` then one body byte every `everyMs` until the server answers or closes; resolves with what it said. */
function slowBody(port: number, head: string, everyMs: number): Promise<{ answer: string; afterMs: number }> {
  const started = Date.now();
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1", () => socket.write(head));
    let answer = "";
    const drip = setInterval(() => socket.write("x"), everyMs);
    const done = (): void => {
      clearInterval(drip);
      resolve({ answer, afterMs: Date.now() - started });
    };
    socket.on("data", (chunk: Buffer) => (answer += chunk.toString("latin1")));
    socket.on("close", done);
    socket.on("error", () => socket.destroy());
  });
}

describe("createBoundedServer", () => {
  let server: Server;
  let port: number;
  let streamed = 0;
  beforeAll(async () => {
    server = createBoundedServer(
      (request, response) => {
        if (request.method === "GET") {
          // A long response (an SSE stream): it must outlive the request timeout.
          response.writeHead(200, { "content-type": "text/event-stream" });
          const tick = setInterval(() => {
            streamed += 1;
            response.write(": tick\n\n");
          }, 200);
          response.on("close", () => clearInterval(tick));
          return;
        }
        request.resume();
        request.on("end", () => response.end("read"));
      },
      { requestTimeoutMs: 1_000 },
    );
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it("answers 408 and closes a request whose body trickles in past the timeout", async () => {
    const head = "POST /mcp HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100000\r\n\r\n";
    const { answer, afterMs } = await slowBody(port, head, 100);
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expect(afterMs).toBeGreaterThanOrEqual(900);
    expect(afterMs).toBeLessThan(5_000);
  });

  it("closes a connection whose headers never end", async () => {
    const { afterMs } = await slowBody(port, "POST /mcp HTTP/1.1\r\nhost: x\r\n", 100);
    expect(afterMs).toBeLessThan(5_000);
  });

  it("keeps a long GET stream open past the timeout (only receiving the request is bounded)", async () => {
    const response = await fetch(`http://127.0.0.1:${port}/mcp`);
    const reader = response.body!.getReader();
    const started = Date.now();
    let received = 0;
    while (Date.now() - started < 3_000) {
      const { done, value } = await reader.read();
      if (done) break;
      received += value.length;
    }
    expect(Date.now() - started).toBeGreaterThanOrEqual(3_000);
    expect(received).toBeGreaterThan(0);
    expect(streamed).toBeGreaterThan(10);
    await reader.cancel();
  });
});
