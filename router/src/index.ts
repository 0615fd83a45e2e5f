export * from "./ext-proc-proto";
