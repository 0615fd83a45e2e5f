import { startRedisServer, type RedisServer } from "../support/redis-server";
import type { StackMode } from "./gateway-stack";

/** A deployment to run a suite in: its label and how to get its mode (the Redis one starts redis-server). */
export type Deployment = [label: string, mode: () => Promise<StackMode>];

/**
 * The three deployments the end-to-end suites run in: Envoy mode in one process (memory store), Envoy mode with
 * router and broker apart on a real Redis, and standalone. Call `stop` in the suite's afterAll.
 */
export function deployments(): { all: Deployment[]; stop(): Promise<void> } {
  let redis: RedisServer | undefined;
  return {
    all: [
      [
        "Envoy mode, router and broker in one process, memory store",
        () => Promise.resolve({ kind: "envoy", store: "memory" }),
      ],
      [
        "Envoy mode, router and broker apart, Redis store",
        async () => {
          redis ??= await startRedisServer();
          return { kind: "envoy", store: "redis", redisUrl: redis.url };
        },
      ],
      ["standalone", () => Promise.resolve({ kind: "standalone" })],
    ],
    stop: async () => {
      await redis?.stop();
    },
  };
}
