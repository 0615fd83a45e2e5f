import type { NextFunction, Request, RequestHandler, Response } from "express";
import { handlerChain } from "./handler-chain";

const request = {} as Request;
const response = {} as Response;

/** Runs a chain and resolves with what reached the app's `next` (or "last" when `last` answered). */
function run(handlers: RequestHandler[]): Promise<{ seen: string[]; outcome: unknown }> {
  const seen: string[] = [];
  return new Promise((resolve) => {
    const last: RequestHandler = () => resolve({ seen, outcome: "last" });
    const next: NextFunction = (error?: unknown) => resolve({ seen, outcome: error ?? "next" });
    handlerChain(
      handlers.map((handler, i) => (req, res, n) => {
        seen.push(String(i));
        return handler(req, res, n);
      }),
      last,
    )(request, response, next);
  });
}

const pass: RequestHandler = (_req, _res, next) => next();

describe("handlerChain", () => {
  it("runs the handlers in order and answers with `last` when all passed on", async () => {
    expect(await run([pass, pass, pass])).toEqual({ seen: ["0", "1", "2"], outcome: "last" });
  });

  it("stops at a handler that answers", () => {
    const seen: string[] = [];
    const reached = jest.fn();
    const note =
      (name: string, passOn: boolean): RequestHandler =>
      (_req, _res, next) => {
        seen.push(name);
        if (passOn) next();
      };
    handlerChain([note("a", true), note("b", false), note("c", true)], reached)(request, response, reached);
    expect(seen).toEqual(["a", "b"]);
    expect(reached).not.toHaveBeenCalled();
  });

  it("hands an error passed to next to the app's error handlers, skipping the rest", async () => {
    const failure = new Error("body too large");
    expect(await run([pass, (_req, _res, next) => next(failure), pass])).toEqual({
      seen: ["0", "1"],
      outcome: failure,
    });
  });

  it("hands a rejected promise of an async handler on as an error", async () => {
    const failure = new Error("store down");
    const failing: RequestHandler = () => Promise.reject(failure);
    expect(await run([pass, failing])).toEqual({ seen: ["0", "1"], outcome: failure });
  });

  it("hands a thrown error on", async () => {
    const failure = new Error("bad header");
    const throwing: RequestHandler = () => {
      throw failure;
    };
    expect(await run([throwing, pass])).toEqual({ seen: ["0"], outcome: failure });
  });

  it("continues after an async handler calls next", async () => {
    const later: RequestHandler = async (_req, _res, next) => {
      await Promise.resolve();
      next();
    };
    expect(await run([later, pass])).toEqual({ seen: ["0", "1"], outcome: "last" });
  });
});
