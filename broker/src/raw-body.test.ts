import { once } from "node:events";
import { connect, type AddressInfo } from "node:net";
import express, { type NextFunction, type Request, type Response } from "express";
import type { Server } from "node:http";
import { gzipSync } from "node:zlib";
import { rawBodyReader } from "./raw-body";

const LIMIT = 16;

/** What the test app answers: the body it read (hex), or the error's status and type. */
let server: Server;
let port: number;

beforeAll(async () => {
  const app = express();
  app.post(
    "/",
    rawBodyReader(() => LIMIT),
    (request: Request, response: Response) => {
      const body: unknown = request.body;
      response.json({ body: Buffer.isBuffer(body) ? body.toString() : body === undefined ? "none" : typeof body });
    },
  );
  app.use((error: { status?: number; type?: string }, _request: Request, response: Response, _next: NextFunction) => {
    response.status(error.status ?? 500).json({ error: error.type });
  });
  server = app.listen(0, "127.0.0.1");
  await once(server, "listening");
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  server.close();
  await once(server, "close");
});

/** Sends raw HTTP/1.1 bytes and resolves with the response's status line and body (the server closes after it). */
async function exchange(head: string, body: string | Buffer = ""): Promise<{ status: number; body: string }> {
  const socket = connect(port, "127.0.0.1");
  await once(socket, "connect");
  socket.write(`${head}\r\nconnection: close\r\n\r\n`);
  socket.write(body);
  let text = "";
  socket.on("data", (chunk: Buffer) => (text += chunk.toString()));
  await once(socket, "close");
  const status = Number(/^HTTP\/1\.1 (\d+)/.exec(text)?.[1]);
  return { status, body: text.slice(text.indexOf("\r\n\r\n") + 4) };
}

const post = (headers: string): string => `POST / HTTP/1.1\r\nhost: x${headers}`;

describe("rawBodyReader", () => {
  it.each([
    ["a body within the limit", "\r\ncontent-length: 5", "hello", 200, '{"body":"hello"}'],
    ["a chunked body", "\r\ntransfer-encoding: chunked", "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n", 200, '{"body":"abcde"}'],
    ["no body at all", "", "", 200, '{"body":"none"}'],
    ["an empty body", "\r\ncontent-length: 0", "", 200, '{"body":""}'],
    ["a declared length past the limit", "\r\ncontent-length: 17", "x".repeat(17), 413, '{"error":"entity.too.large"}'],
    [
      "a chunked body growing past the limit",
      "\r\ntransfer-encoding: chunked",
      `11\r\n${"x".repeat(17)}\r\n0\r\n\r\n`,
      413,
      '{"error":"entity.too.large"}',
    ],
  ])("reads %s as express.raw() does", async (_name, headers, body, status, answer) => {
    expect(await exchange(post(headers), body)).toEqual({ status, body: answer });
  });

  it("hands a compressed body to express.raw(), which inflates it", async () => {
    const zipped = gzipSync("hi");
    const head = post(`\r\ncontent-encoding: gzip\r\ncontent-length: ${zipped.length}`);
    expect(await exchange(head, zipped)).toEqual({ status: 200, body: '{"body":"hi"}' });
  });

  it("answers nothing for a body the client abandons, and keeps serving", async () => {
    const socket = connect(port, "127.0.0.1");
    await once(socket, "connect");
    socket.write(`${post("\r\ncontent-length: 10")}\r\n\r\nabc`);
    socket.destroy();
    expect(await exchange(post("\r\ncontent-length: 2"), "ok")).toEqual({ status: 200, body: '{"body":"ok"}' });
  });
});
