import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { startReadyChild } from "./ready-child";

/** The model `npm run model:fetch` caches (keep in step with scripts/fetch-small-model.mjs). */
export const SMALL_MODEL_FILE = "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf";

/** The model id the provider reports and answers for. */
export const SMALL_MODEL_ID = "qwen2.5-coder-0.5b-instruct";

/** A running OpenAI-compatible provider backed by a real model. */
export interface LlamaProvider {
  /** Base URL to give an OpenAI client or the gateway's provider config (ends in `/v1`). */
  url: string;
  model: string;
  close(): Promise<void>;
}

/** The node-llama-cpp release `npm run model:fetch` installs (keep in step with scripts/fetch-small-model.mjs). */
export const LLAMA_RUNTIME_VERSION = "3.22.1";

/** The cache of heavy test tools (same rule as the Jaeger and Kubernetes installs). */
function cacheDir(env: NodeJS.ProcessEnv): string {
  return env.MCP_GATEWAY_CACHE || join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "mcp-gateway");
}

/** Where `npm run model:fetch` puts the small model. */
export function smallModelPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(cacheDir(env), "models", SMALL_MODEL_FILE);
}

/** Where `npm run model:fetch` installs node-llama-cpp (outside the repository, like the model). */
export function llamaRuntimePath(env: NodeJS.ProcessEnv = process.env): string {
  return join(cacheDir(env), "node-llama-cpp", LLAMA_RUNTIME_VERSION);
}

const READY = "llama-provider-ready ";

/** Starts the real-model provider (node-llama-cpp in its own process) on 127.0.0.1; resolves once it listens. */
export async function startLlamaProvider(modelPath = smallModelPath()): Promise<LlamaProvider> {
  if (!existsSync(modelPath)) throw new Error(`no model at ${modelPath}: run npm run model:fetch`);
  const runtime = llamaRuntimePath();
  if (!existsSync(join(runtime, "node_modules", "node-llama-cpp")))
    throw new Error(`no node-llama-cpp at ${runtime}: run npm run model:fetch`);
  const child = await startReadyChild<{ url: string }>(
    join(__dirname, "llama-provider-process.mjs"),
    {
      ...process.env,
      LLAMA_PROVIDER_MODEL: modelPath,
      LLAMA_PROVIDER_RUNTIME: runtime,
      LLAMA_PROVIDER_MODEL_ID: SMALL_MODEL_ID,
      NODE_LLAMA_CPP_SKIP_DOWNLOAD: "true",
    },
    READY,
    "llama provider",
  );
  return { url: child.started.url, model: SMALL_MODEL_ID, close: child.stop };
}
