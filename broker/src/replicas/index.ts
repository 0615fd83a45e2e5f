export { createReplicas, type Replicas } from "./replicas";
export { HOP_HEADER } from "./hop-marker";
