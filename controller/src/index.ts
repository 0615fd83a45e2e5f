export * from "./api-types";
export * from "./controller";
export * from "./kube";
export * from "./lease";
export * from "./reconcile";
export * from "./render";
export * from "./resolve";
export * from "./status";
