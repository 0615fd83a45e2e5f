import { GatewayError, JsonRpcErrorCode } from "../errors";

/** A token endpoint failure, naming the server and never the secrets it was sent. */
export function tokenError(server: string, reason: string, cause?: unknown): GatewayError {
  return new GatewayError(
    JsonRpcErrorCode.UpstreamUnavailable,
    `upstream "${server}": no access token could be obtained (${reason})`,
    { httpStatus: 502, cause },
  );
}
