import { GatewayError, JsonRpcErrorCode } from "../errors";

/** 413 for a body of `bytes` over `limit` (named after the policy that sets it, when one does). */
export function bodyTooLarge(bytes: number, limit: number, policy?: string): GatewayError {
  const whose = policy === undefined ? "" : ` of policy "${policy}"`;
  return new GatewayError(
    JsonRpcErrorCode.RequestTooLarge,
    `request body of ${bytes} bytes exceeds the limit of ${limit} bytes${whose}`,
    { httpStatus: 413 },
  );
}

/** 431 when a request's header names and values together exceed `limit` bytes (the same count in both modes). */
export function headerSizeError(headers: Readonly<Record<string, string>>, limit: number): GatewayError | undefined {
  let size = 0;
  // Own names only, one array of them: every request passes here (Object.entries makes a pair array per header).
  for (const name of Object.keys(headers)) size += name.length + (headers[name] as string).length;
  if (size <= limit) return undefined;
  return new GatewayError(
    JsonRpcErrorCode.RequestTooLarge,
    `request headers of ${size} bytes exceed the limit of ${limit} bytes`,
    { httpStatus: 431 },
  );
}
