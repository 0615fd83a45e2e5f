import { z } from "zod";

/**
 * Where the rendered Envoy writes its access log: `stdout` (the default, for a container's log collector), `off`, or an
 * absolute file path. Read only by `render-envoy`.
 */
const accessLog = z
  .string()
  .refine((value) => value === "stdout" || value === "off" || (value.startsWith("/") && !/[\0\r\n]/.test(value)), {
    message: 'expected "stdout", "off" or an absolute file path',
  })
  .default("stdout");

const absolutePath = z.string().regex(/^\//, "expected an absolute path (as Envoy sees it)");

/** The `envoy` section: settings of the rendered Envoy config only (its access log and edge listener). */
export const envoySchema = z
  .object({
    accessLog,
    /** Proxies in front of Envoy whose x-forwarded-for entries are trusted (0: the TCP peer is the client). */
    xffTrustedHops: z.number().int().min(0).max(16).default(0),
    /** TLS on Envoy's listener; plain HTTP without it. */
    tls: z
      .object({
        certificateFile: absolutePath,
        keyFile: absolutePath,
        minVersion: z.enum(["1.2", "1.3"]).default("1.2"),
      })
      .strict()
      .optional(),
  })
  .strict();
