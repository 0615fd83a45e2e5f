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

/** The `envoy` section: settings of the rendered Envoy config only. */
export const envoySchema = z.object({ accessLog }).strict().prefault({});
