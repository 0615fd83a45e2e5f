import { z } from "zod";

/**
 * The gateway's own access log (standalone and broker): one JSON line per HTTP request, off by default. In Envoy mode
 * Envoy writes the access log of client requests (`envoy.accessLog`); this one then shows the broker's hop.
 */
export const accessLogSchema = z
  .object({
    enabled: z.boolean().default(false),
    /** `stdout`, `stderr` or an absolute file path (appended to, created if missing). */
    destination: z
      .string()
      .refine(
        (value) => value === "stdout" || value === "stderr" || (value.startsWith("/") && !/[\0\r\n]/.test(value)),
        { message: 'expected "stdout", "stderr" or an absolute file path' },
      )
      .default("stdout"),
  })
  .strict();

/** The validated `accessLog` section. */
export type AccessLogConfig = z.output<typeof accessLogSchema>;
