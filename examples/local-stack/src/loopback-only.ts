/**
 * Preload (`node -r .../loopback-only.js server.js`) for third-party servers that listen on every interface with no
 * option to change it (server-everything's Streamable HTTP mode calls `app.listen(PORT)`): a listen call that names
 * no host binds to 127.0.0.1 instead, so a local stack never exposes a demo server to the network.
 */
import { Server } from "node:net";

const LOOPBACK = "127.0.0.1";
const originalListen = Server.prototype.listen;

function withLoopback(args: unknown[]): unknown[] {
  const [first, second] = args;
  if (typeof first === "number" || (typeof first === "string" && /^\d+$/.test(first))) {
    return typeof second === "string" ? args : [first, LOOPBACK, ...args.slice(1)];
  }
  if (first !== null && typeof first === "object" && !("host" in first) && "port" in first) {
    return [{ ...first, host: LOOPBACK }, ...args.slice(1)];
  }
  return args;
}

Server.prototype.listen = function listenOnLoopback(this: Server, ...args: unknown[]) {
  return (originalListen as (...a: unknown[]) => Server).apply(this, withLoopback(args));
} as typeof Server.prototype.listen;
