/** The API group of the controller's resources (a placeholder under the reserved `.example` TLD). */
export const GROUP = "mcp.gateway.example";
/** The served and stored version of {@link GROUP}. */
export const VERSION = "v1alpha1";
/** The finalizer the controller puts on every MCPServer it has taken into the gateway config. */
export const FINALIZER = `${GROUP}/cleanup`;
/** The header the router sets to the destination server's name; the HTTPRoute's rules match on it. */
export const DESTINATION_HEADER = "x-destination-mcp";

/** Object metadata the controller reads and writes. */
export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  generation?: number;
  resourceVersion?: string;
  deletionTimestamp?: string;
  finalizers?: string[];
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** A condition of a resource's status (the Kubernetes metav1.Condition shape). */
export interface Condition {
  type: string;
  status: "True" | "False" | "Unknown";
  reason: string;
  message: string;
  lastTransitionTime: string;
  observedGeneration?: number;
}

/** The spec of an MCPServer (deploy/crds/mcpservers.mcp.gateway.example.yaml). */
export interface MCPServerSpec {
  target: { service?: { name: string; port: number }; httpRoute?: { name: string } };
  scheme?: "http" | "https";
  path?: string;
  prefix?: string;
  tools?: { include?: string[]; exclude?: string[] };
  timeout?: string;
  credentialRef?: { name: string };
}

/** The status the controller writes on an MCPServer. */
export interface MCPServerStatus {
  observedGeneration?: number;
  upstream?: string;
  protocolVersion?: string;
  generation?: string;
  toolCount?: number;
  promptCount?: number;
  resourceCount?: number;
  lastError?: string;
  conditions?: Condition[];
}

/** An MCPServer resource. */
export interface MCPServer {
  apiVersion: string;
  kind: "MCPServer";
  metadata: ObjectMeta;
  spec: MCPServerSpec;
  status?: MCPServerStatus;
}

/** The parts of a core/v1 Service the controller reads. */
export interface Service {
  metadata: ObjectMeta;
  spec?: { type?: string; externalName?: string; ports?: { name?: string; port: number }[] };
}

/** The parts of a core/v1 Secret the controller reads (values base64, as the API returns them). */
export interface Secret {
  metadata: ObjectMeta;
  data?: Record<string, string>;
}

/** The parts of a gateway.networking.k8s.io/v1 HTTPRoute the controller reads. */
export interface HTTPRoute {
  metadata: ObjectMeta;
  spec?: {
    rules?: {
      matches?: { path?: { type?: string; value?: string }; headers?: { name: string; value: string }[] }[];
      backendRefs?: { group?: string; kind?: string; name: string; namespace?: string; port?: number }[];
    }[];
  };
}
