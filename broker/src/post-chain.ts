import { IncomingMessage, ServerResponse } from "node:http";
import type { Express, NextFunction, Request, RequestHandler, Response } from "express";
import { isEndpointShaped } from "@mcp-gateway/core";

/** Express's own dispatch (`app.handle`): not in its typings, but what `app(request, response)` calls each time. */
type AppHandle = (request: Request, response: Response, callback?: NextFunction) => void;

/** A POST to an endpoint (`/mcp` or `/mcp/<name>`, query aside): what the POST chain serves. */
const isEndpointPost = (request: Request, path: string): boolean => request.method === "POST" && isEndpointShaped(path);

/**
 * Mounts POST /mcp's handler chain at this point of `app`. With `direct`, such a POST is also taken before Express's
 * router: per request the router builds a final handler and a `next` closure and matches every layer before ours
 * (~10 KB and tens of µs per call). The request then gets what Express and its router would have given it by the time
 * the chain ran (prototypes, `req.res`/`res.req`, `res.locals`, `originalUrl`, `baseUrl`); every layer mounted before
 * the chain must pass such a POST on untouched (no access log, see createBrokerApp). A chain that hands the request on
 * (`next(error)`) re-enters Express, and the mounted handler hands the same on from its own place, so error handlers
 * and the final handler answer exactly as before.
 */
export function mountPostChain(app: Express, chain: RequestHandler, direct: boolean): void {
  const handedOn = new WeakMap<Request, { error: unknown }>();
  app.use(function mcpPost(request, response, next) {
    const handed = handedOn.get(request);
    if (!isEndpointPost(request, request.path)) next();
    else if (!handed) void chain(request, response, next);
    else {
      handedOn.delete(request);
      next(handed.error);
    }
  });
  if (!direct) return;
  const withHandle = app as Express & { handle: AppHandle };
  const viaExpress = withHandle.handle.bind(app);
  withHandle.handle = function handle(request, response, callback) {
    // Only origin-form targets get here (the server refuses others, see request-target.ts).
    if (callback !== undefined || !isEndpointPost(request, request.url) || app.enabled("x-powered-by"))
      return viaExpress(request, response, callback);
    // Born with them when the server was made with expressServerClasses (changing a prototype costs ~30 µs).
    if (!Object.prototype.isPrototypeOf.call(app.request, request)) Object.setPrototypeOf(request, app.request);
    if (!Object.prototype.isPrototypeOf.call(app.response, response)) Object.setPrototypeOf(response, app.response);
    request.res = response;
    response.req = request;
    response.locals ??= Object.create(null) as Record<string, unknown>;
    request.originalUrl ||= request.url;
    request.baseUrl = "";
    chain(request, response, function handOn(error?: unknown) {
      handedOn.set(request, { error });
      viaExpress(request, response);
    });
  };
}

/** The request and response classes of an HTTP server for {@link expressServerClasses}. */
export interface ServerClasses {
  IncomingMessage: typeof IncomingMessage;
  ServerResponse: typeof ServerResponse;
}

/**
 * Request and response classes whose objects are born with `app`'s request and response helpers in their prototype
 * chain: the POST chain taken before Express (see mountPostChain) then need not change their prototypes, which in
 * V8 costs far more than the rest of Express's dispatch (Node 20: ~30 µs a request for the pair). Express's own
 * dispatch still sets them, as before, for every other request.
 */
export function expressServerClasses(app: Express): ServerClasses {
  class ExpressRequest extends IncomingMessage {}
  Object.setPrototypeOf(ExpressRequest.prototype, app.request);
  class ExpressResponse<R extends IncomingMessage = IncomingMessage> extends ServerResponse<R> {}
  Object.setPrototypeOf(ExpressResponse.prototype, app.response);
  return { IncomingMessage: ExpressRequest, ServerResponse: ExpressResponse };
}
