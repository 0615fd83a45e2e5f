export * from "./tasks-extension";
export * from "./task-reply";
export * from "./task-request";
export * from "./task-call";
