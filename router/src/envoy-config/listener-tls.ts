import type { GatewayConfig } from "@mcp-gateway/core";

/**
 * The listener's TLS transport socket from `envoy.tls` (none: plain HTTP, for TLS terminated in front of Envoy):
 * TLS 1.2 or the configured minimum, ALPN h2 and http/1.1 (the HCM's AUTO codec follows the negotiated protocol).
 */
export function listenerTls(config: GatewayConfig): object {
  const tls = config.envoy.tls;
  if (tls === undefined) return {};
  return {
    transport_socket: {
      name: "envoy.transport_sockets.tls",
      typed_config: {
        "@type": "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext",
        common_tls_context: {
          tls_params: { tls_minimum_protocol_version: tls.minVersion === "1.3" ? "TLSv1_3" : "TLSv1_2" },
          alpn_protocols: ["h2", "http/1.1"],
          tls_certificates: [
            { certificate_chain: { filename: tls.certificateFile }, private_key: { filename: tls.keyFile } },
          ],
        },
      },
    },
  };
}
