import express, { type Express, type NextFunction, type Request, type Response } from "express";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { GatewayError, JsonRpcErrorCode, type GatewayContext } from "@mcp-gateway/core";
import { sendError } from "../http-errors";
import { lowerHeaders } from "../request-headers";
import { consoleCsp, consoleSettings } from "./console-settings";

export { CONSOLE_CSP } from "./console-settings";

/** Where the console is served: `/ui` redirects to `/ui/`, which serves console/dist. */
export const CONSOLE_PATH = "/ui";

const SECURITY_HEADERS = {
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-resource-policy": "same-origin",
};

/** Where the console reads its sign-in settings (under /ui): JSON, nothing secret. */
const SETTINGS_PATH = "/config.json";

/** console/dist of the @mcp-gateway/console workspace (built by `npm run build`), or undefined when absent. */
export function defaultConsoleDir(): string | undefined {
  try {
    const dir = join(dirname(require.resolve("@mcp-gateway/console/package.json")), "dist");
    return existsSync(join(dir, "index.html")) ? dir : undefined;
  } catch {
    return undefined;
  }
}

/** What the console's mount reads: the config in force (console.enabled) and the Host/Origin guard. */
export type ConsoleContext = Pick<GatewayContext, "config" | "hostGuard">;

function notFound(message: string): GatewayError {
  return new GatewayError(JsonRpcErrorCode.InvalidRequest, message, { httpStatus: 404 });
}

/**
 * Serves the web console's static files at /ui when `console.enabled` (read per request, so a reload switches it),
 * behind the same Host and Origin check as /mcp. GET and HEAD only; no API of its own: the console is a browser
 * client of /mcp (and of the admin API), holding the caller's key in memory.
 */
export function mountConsole(app: Express, context: ConsoleContext, dir = defaultConsoleDir()): void {
  const files = dir ? express.static(dir, { index: "index.html", redirect: false, dotfiles: "ignore" }) : undefined;
  app.use(CONSOLE_PATH, function serveConsole(request: Request, response: Response, _next: NextFunction): void {
    if (!context.config().console.enabled)
      return sendError(response, notFound("the console is disabled (console.enabled)"));
    const denied = context.hostGuard().check(lowerHeaders(request));
    if (denied) return sendError(response, denied);
    if (request.method !== "GET" && request.method !== "HEAD") {
      response.status(405).setHeader("allow", "GET, HEAD").json({ error: "the console serves GET and HEAD only" });
      return;
    }
    if (request.originalUrl.split("?")[0] === CONSOLE_PATH) {
      response.redirect(308, `${CONSOLE_PATH}/`);
      return;
    }
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) response.setHeader(name, value);
    response.setHeader("content-security-policy", consoleCsp(context.config()));
    if (request.path === SETTINGS_PATH) {
      response.setHeader("cache-control", "no-store");
      response.json(consoleSettings(context.config()));
      return;
    }
    if (!files) return sendError(response, notFound("the console is not built (npm run build)"));
    // Hashed assets never change; index.html is revalidated so a new build is picked up.
    response.setHeader(
      "cache-control",
      request.path.startsWith("/assets/") ? "public, max-age=31536000, immutable" : "no-cache",
    );
    files(request, response, () =>
      sendError(response, notFound(`no console file at ${JSON.stringify(request.originalUrl)}`)),
    );
  });
}
