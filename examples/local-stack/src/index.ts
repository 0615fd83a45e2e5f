export * from "./local-stack";
