/**
 * Streams Envoy opens on one HTTP/2 connection to the router before it opens a fresh one (and drains the old one).
 * Envoy's ext_proc client ends every stream with a reset (its close() is closeStream + resetStream), and Node's HTTP/2
 * server (nghttp2) answers more than 1000 resets on one connection (a burst of 1000, then 33 per second; not
 * configurable in Node) with a GOAWAY that refuses the streams then in flight: Envoy fails those requests with
 * `remote_refused_stream_reset`. Well below that burst, a connection never gets there; a new one every 500 requests
 * costs one loopback handshake.
 */
export const ROUTER_STREAMS_PER_CONNECTION = 500;

/** The router cluster's protocol options: HTTP/2 (gRPC), and a bounded number of streams per connection. */
export function routerProtocolOptions(): object {
  return {
    typed_extension_protocol_options: {
      "envoy.extensions.upstreams.http.v3.HttpProtocolOptions": {
        "@type": "type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
        common_http_protocol_options: { max_requests_per_connection: ROUTER_STREAMS_PER_CONNECTION },
        explicit_http_config: { http2_protocol_options: {} },
      },
    },
  };
}
