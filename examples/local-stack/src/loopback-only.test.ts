import { execFileSync } from "node:child_process";
import { join } from "node:path";

const PRELOAD = join(__dirname, "..", "dist", "loopback-only.js");

/** Runs a listen call in a fresh node with the preload and returns the address it bound. */
function boundAddress(listenCall: string): string {
  const script = `const s = require("node:http").createServer(); ${listenCall}; s.on("listening", () => { console.log(s.address().address); s.close(); });`;
  return execFileSync(process.execPath, ["-r", PRELOAD, "-e", script], { encoding: "utf8" }).trim();
}

describe("loopback-only preload", () => {
  it.each([
    ["a port alone", "s.listen(0)"],
    ["a port and a callback", "s.listen(0, () => undefined)"],
    ["an options object without host", "s.listen({ port: 0 })"],
  ])("binds %s to 127.0.0.1", (_what, call) => {
    expect(boundAddress(call)).toBe("127.0.0.1");
  });

  it("keeps an explicit host", () => {
    expect(boundAddress('s.listen(0, "127.0.0.2")')).toBe("127.0.0.2");
  });
});
