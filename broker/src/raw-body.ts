import express, { type NextFunction, type Request, type RequestHandler, type Response } from "express";

/** A body that could not be read: what body-parser reports (its `status` is all the error handler reads). */
export class BodyReadError extends Error {
  readonly statusCode: number;
  readonly expose = true;

  constructor(
    readonly status: number,
    message: string,
    readonly type: string,
  ) {
    super(message);
    this.name = "BodyReadError";
    this.statusCode = status;
  }
}

const tooLarge = (): BodyReadError => new BodyReadError(413, "request entity too large", "entity.too.large");

/** As type-is's hasBody: a transfer-encoding, or a content-length that is a number (any, even 0). */
function hasBody(request: Request): boolean {
  const length = request.headers["content-length"];
  return request.headers["transfer-encoding"] !== undefined || (length !== undefined && !Number.isNaN(Number(length)));
}

/** True when the request can be read here; anything unusual (a compressed body, a consumed stream) is body-parser's. */
function plainReadable(request: Request): boolean {
  const encoding = request.headers["content-encoding"];
  const identity = encoding === undefined || encoding === "" || encoding.toLowerCase() === "identity";
  return identity && request.readable && request.readableEncoding === null && !request.complete;
}

/**
 * Reads a POST's whole body into `request.body` as a Buffer, with `limit()` bytes at most: `express.raw()`'s behaviour
 * (413 past the limit, by content-length up front or while reading; 400 when the body is cut short or its size does
 * not match content-length; the rest of a refused body drained before the error is handed on) for an uncompressed
 * body, read here directly: no content-type parsing, charset lookup or helper streams on the hot path. A compressed
 * or otherwise unusual body goes to `express.raw()` itself (one parser per distinct limit: the limit follows reloads).
 */
export function rawBodyReader(limit: () => number): RequestHandler {
  const parsers = new Map<number, RequestHandler>();
  return function readRawBody(request: Request, response: Response, next: NextFunction): void {
    const bytes = limit();
    if (!plainReadable(request)) {
      let parser = parsers.get(bytes);
      if (!parser) {
        parser = express.raw({ type: () => true, limit: bytes });
        parsers.set(bytes, parser);
      }
      return void parser(request, response, next);
    }
    if (!Object.hasOwn(request, "body")) request.body = undefined;
    if (!hasBody(request)) return next();
    readBody(request, bytes, next);
  };
}

function readBody(request: Request, limit: number, next: NextFunction): void {
  const header = request.headers["content-length"];
  const length = header !== undefined && !Number.isNaN(Number(header)) ? parseInt(header, 10) : null;
  if (length !== null && length > limit) return drainThen(request, tooLarge(), next);
  const chunks: Buffer[] = [];
  let received = 0;
  const finish = (error?: BodyReadError | Error): void => {
    request.off("data", onData).off("end", onEnd).off("error", finish).off("aborted", onAborted);
    if (error) return drainThen(request, error, next);
    request.body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, received);
    next();
  };
  const onData = (chunk: Buffer): void => {
    received += chunk.length;
    if (received > limit) finish(tooLarge());
    else chunks.push(chunk);
  };
  const onEnd = (): void => {
    if (length !== null && received !== length)
      finish(new BodyReadError(400, "request size did not match content length", "request.size.invalid"));
    else finish();
  };
  const onAborted = (): void => finish(new BodyReadError(400, "request aborted", "request.aborted"));
  request.on("data", onData).on("end", onEnd).on("error", finish).on("aborted", onAborted);
}

/** As body-parser: the rest of a refused body is read and dropped (the connection stays usable), then the error. */
function drainThen(request: Request, error: Error, next: NextFunction): void {
  if (request.complete || request.destroyed || !request.socket?.readable) return next(error);
  let handed = false;
  const hand = (): void => {
    if (handed) return;
    handed = true;
    next(error);
  };
  request.once("end", hand).once("close", hand);
  request.resume();
}
