import { request as httpsRequest, type RequestOptions } from "node:https";
import { request as httpRequest } from "node:http";

/** An API server answer other than 2xx: its HTTP status and the Status object's reason and message. */
export class KubeError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
    this.name = "KubeError";
  }
}

/** A watch event: ADDED, MODIFIED, DELETED, BOOKMARK or ERROR, with the object. */
export type WatchHandler = (type: string, object: unknown) => void;

/** The few API server operations the controller needs. */
export interface KubeApi {
  /** One request; resolves the decoded JSON body (undefined for an empty one), throws {@link KubeError} otherwise. */
  request<T>(method: string, path: string, body?: unknown, contentType?: string): Promise<T>;
  /** Watches a collection until `abort` or an error; `done` is called once when it ends. */
  watch(path: string, onEvent: WatchHandler, done: (error: unknown) => void): Promise<{ abort(): void }>;
}

/** Connects with a kubeconfig file, else the in-cluster service account (through @kubernetes/client-node). */
export async function connectKube(kubeconfigPath: string | undefined): Promise<KubeApi> {
  // @kubernetes/client-node is an ES module: loaded on demand from this CommonJS package.
  const k8s = await import("@kubernetes/client-node");
  const config = new k8s.KubeConfig();
  if (kubeconfigPath) config.loadFromFile(kubeconfigPath);
  else config.loadFromCluster();
  const cluster = config.getCurrentCluster();
  if (!cluster) throw new Error("the kubeconfig has no current cluster");
  const server = new URL(cluster.server);
  const watcher = new k8s.Watch(config);
  return {
    async request<T>(method: string, path: string, body?: unknown, contentType = "application/json"): Promise<T> {
      const options: RequestOptions = { method, headers: { accept: "application/json" } };
      await config.applyToHTTPSOptions(options);
      const text = body === undefined ? undefined : JSON.stringify(body);
      if (text !== undefined) Object.assign(options.headers as object, { "content-type": contentType });
      return send<T>(new URL(path, server), options, text);
    },
    async watch(path, onEvent, done) {
      return watcher.watch(path, {}, onEvent, done);
    },
  };
}

/** Sends one request and decodes its JSON answer. */
function send<T>(url: URL, options: RequestOptions, body: string | undefined): Promise<T> {
  const call = url.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise<T>((resolve, reject) => {
    const req = call(url, { ...options, timeout: 30_000 }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        const status = response.statusCode ?? 0;
        let parsed: unknown;
        try {
          parsed = text ? JSON.parse(text) : undefined;
        } catch {
          parsed = undefined;
        }
        if (status >= 200 && status < 300) return resolve(parsed as T);
        const info = (parsed ?? {}) as { reason?: string; message?: string };
        reject(
          new KubeError(
            status,
            info.reason ?? "Unknown",
            `${options.method} ${url.pathname}: ${status} ${info.message ?? ""}`.trim(),
          ),
        );
      });
    });
    req.on("timeout", () => req.destroy(new Error(`${options.method} ${url.pathname}: timed out`)));
    req.on("error", reject);
    req.end(body);
  });
}

/** Whether an error is the API server's 404. */
export const isNotFound = (error: unknown): boolean => error instanceof KubeError && error.status === 404;
/** Whether an error is the API server's 409 (a conflict on resourceVersion, or create of an existing object). */
export const isConflict = (error: unknown): boolean => error instanceof KubeError && error.status === 409;
