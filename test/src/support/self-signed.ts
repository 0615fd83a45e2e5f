import { execFileSync } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A self-signed certificate for localhost and 127.0.0.1, its key, and the PEM to trust it with. */
export interface SelfSigned {
  certificateFile: string;
  keyFile: string;
  /** The certificate's PEM: the CA a client trusts. */
  ca: string;
  remove(): Promise<void>;
}

/** Makes a one-day P-256 certificate with Debian's `openssl` (node:crypto cannot issue X.509 certificates). */
export async function makeSelfSigned(): Promise<SelfSigned> {
  const dir = await mkdtemp(join(tmpdir(), "mcp-tls-"));
  const certificateFile = join(dir, "cert.pem");
  const keyFile = join(dir, "key.pem");
  execFileSync(
    "openssl",
    [
      ...["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1"],
      ...["-keyout", keyFile, "-out", certificateFile, "-subj", "/CN=localhost"],
      ...["-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
    ],
    { stdio: "pipe" },
  );
  return {
    certificateFile,
    keyFile,
    ca: await readFile(certificateFile, "utf8"),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
