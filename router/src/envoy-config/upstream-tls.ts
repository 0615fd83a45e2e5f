/**
 * The transport socket of a cluster reaching an `https:` URL: TLS with SNI, the peer's certificate verified against
 * the system CA bundle of Envoy's image and required to name the host. Empty for any other URL.
 */
export function verifiedTlsTransport(url: URL): { transport_socket?: object } {
  if (url.protocol !== "https:") return {};
  return {
    transport_socket: {
      name: "envoy.transport_sockets.tls",
      typed_config: {
        "@type": "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext",
        sni: url.hostname,
        common_tls_context: {
          validation_context: {
            trusted_ca: { filename: "/etc/ssl/certs/ca-certificates.crt" },
            match_typed_subject_alt_names: [{ san_type: "DNS", matcher: { exact: url.hostname } }],
          },
        },
      },
    },
  };
}
