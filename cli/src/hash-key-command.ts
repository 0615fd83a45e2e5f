import { generateApiKey, hashApiKey } from "@mcp-gateway/core";
import type { CommandOutput } from "./validate-command";

/** Reads all of stdin (a key piped in, so it never shows in `ps` or shell history). */
async function readStdin(stdin: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks).toString("utf8").trim();
}

/**
 * `mcp-gateway hash-key`: prints the `keyHash` a consumer entry needs. `--generate` makes a new random key and prints
 * it once with its hash; otherwise the key is read from stdin (or, discouraged, the first argument).
 */
export async function hashKeyCommand(
  positional: string | undefined,
  generate: boolean,
  output: CommandOutput,
  stdin: NodeJS.ReadableStream = process.stdin,
): Promise<number> {
  if (generate) {
    const key = generateApiKey();
    output.out(`key:  ${key}\nhash: ${hashApiKey(key)}\n`);
    return 0;
  }
  const key = positional ?? (await readStdin(stdin));
  if (key === "") {
    output.err("usage: echo -n KEY | mcp-gateway hash-key   (or mcp-gateway hash-key --generate)\n");
    return 2;
  }
  output.out(`${hashApiKey(key)}\n`);
  return 0;
}
