import type { NextFunction, Request, RequestHandler, Response } from "express";

/**
 * Runs `handlers` one after another as Express would (each calls `next()` to pass on, `next(error)` to fail; a
 * rejected promise fails too), without Express's router: no per-handler layer, path match or mount bookkeeping, which
 * on POST /mcp (a dozen handlers) cost more than the gateway's own routing. An error goes to the app's `next(error)`,
 * so its error handlers answer it as before; past the last handler, `last` answers (what Express would reach next).
 */
export function handlerChain(handlers: readonly RequestHandler[], last: RequestHandler): RequestHandler {
  return function runChain(request: Request, response: Response, next: NextFunction): void {
    let index = 0;
    const step = (error?: unknown): void => {
      if (error !== undefined && error !== null) return next(error);
      const handler = index < handlers.length ? handlers[index++] : last;
      if (handler === undefined) return;
      const current = handler === last ? next : step;
      try {
        const result: unknown = handler(request, response, current);
        if (result instanceof Promise) {
          result.then(undefined, (rejected: unknown) => next(rejected ?? new Error("rejected promise")));
        }
      } catch (thrown: unknown) {
        next(thrown);
      }
    };
    step();
  };
}
