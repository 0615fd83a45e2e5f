import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import express, { type Express, type NextFunction, type Request, type Response } from "express";
import { expressServerClasses, mountPostChain } from "./post-chain";

/** What the chain under test saw of its request and response. */
interface Seen {
  originalUrl: string;
  baseUrl: string;
  locals: boolean;
  app: boolean;
}

/** An app like the broker's: a layer before the chain, the chain, an error handler after it, a GET route. */
function appWith(direct: boolean, fail: boolean): { app: Express; routed: () => number; seen: Seen[] } {
  const app = express();
  app.disable("x-powered-by");
  const seen: Seen[] = [];
  let routed = 0;
  const router = app.router as unknown as { handle: (...args: unknown[]) => void };
  const handle = router.handle.bind(router);
  router.handle = (...args: unknown[]) => {
    routed += 1;
    handle(...args);
  };
  app.use((_request, _response, next) => next());
  mountPostChain(
    app,
    (request, response, next) => {
      seen.push({
        ...{ originalUrl: request.originalUrl, baseUrl: request.baseUrl },
        ...{ locals: typeof response.locals === "object", app: request.app === app },
      });
      if (fail) return next(Object.assign(new Error("too big"), { status: 413 }));
      response.status(200).json({ path: request.path, id: request.get("x-id") });
    },
    direct,
  );
  app.use((error: { status: number }, _request: Request, response: Response, _next: NextFunction) => {
    response.status(error.status).json({ handled: error.status });
  });
  app.get("/other", (_request, response) => {
    response.json({ other: true });
  });
  return { app, routed: () => routed, seen };
}

async function withServer<T>(app: Express, run: (base: string) => Promise<T>, classes = false): Promise<T> {
  const server: Server = createServer(classes ? expressServerClasses(app) : {}, app);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    return await run(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

const post = (url: string): Promise<globalThis.Response> =>
  fetch(url, { method: "POST", headers: { "x-id": "7" }, body: "{}" });

describe("mountPostChain", () => {
  it("takes POST /mcp before Express's router, with what the router would have set up", async () => {
    const { app, routed, seen } = appWith(true, false);
    await withServer(app, async (base) => {
      const reply = await post(`${base}/mcp/notes?x=1`);
      expect(reply.status).toBe(200);
      expect(await reply.json()).toEqual({ path: "/mcp/notes", id: "7" });
    });
    expect(routed()).toBe(0);
    expect(seen).toEqual([{ originalUrl: "/mcp/notes?x=1", baseUrl: "", locals: true, app: true }]);
  });

  it.each([true, false])("answers the same when the chain hands on an error (direct: %s)", async (direct) => {
    const { app, routed } = appWith(direct, true);
    await withServer(app, async (base) => {
      const reply = await post(`${base}/mcp`);
      expect(reply.status).toBe(413);
      expect(await reply.json()).toEqual({ handled: 413 });
    });
    expect(routed()).toBe(1);
  });

  it("leaves every other request to Express, and POST /mcp too when not direct", async () => {
    const direct = appWith(true, false);
    const viaRouter = appWith(false, false);
    await withServer(direct.app, async (base) => {
      expect(await (await fetch(`${base}/other`)).json()).toEqual({ other: true });
      expect((await post(`${base}/mcp/Notes`)).status).toBe(404);
    });
    await withServer(viaRouter.app, async (base) => {
      expect(await (await post(`${base}/mcp`)).json()).toEqual({ path: "/mcp", id: "7" });
    });
    expect(direct.routed()).toBe(2);
    expect(viaRouter.routed()).toBe(1);
    expect(viaRouter.seen).toEqual([{ originalUrl: "/mcp", baseUrl: "", locals: true, app: true }]);
  });

  it.each([
    [true, 0],
    [false, 2],
  ])("changes no prototype on a server made with expressServerClasses (%s: %d changes)", async (classes, changes) => {
    const { app, seen } = appWith(true, false);
    await withServer(
      app,
      async (base) => {
        const spy = jest.spyOn(Object, "setPrototypeOf");
        try {
          const reply = await post(`${base}/mcp`);
          expect(await reply.json()).toEqual({ path: "/mcp", id: "7" });
          expect(spy).toHaveBeenCalledTimes(changes);
        } finally {
          spy.mockRestore();
        }
      },
      classes,
    );
    expect(seen).toEqual([{ originalUrl: "/mcp", baseUrl: "", locals: true, app: true }]);
  });

  it("answers every other request through Express on such a server as before", async () => {
    const { app } = appWith(true, true);
    await withServer(
      app,
      async (base) => {
        expect(await (await fetch(`${base}/other`)).json()).toEqual({ other: true });
        expect(await (await post(`${base}/mcp`)).json()).toEqual({ handled: 413 });
      },
      true,
    );
  });
});
