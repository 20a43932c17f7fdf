import { defineConfig } from "vitest/config";

// Every suite runs on a single Redis (project "default"); the Redis-backed ones, and a sample of
// the end-to-end suites, run again on a local three-master Redis Cluster (project "cluster":
// REDIS_MODE=cluster makes the harness's startRedis() hand out one per file).
const ON_CLUSTER = [
  "libs/room-store/src/**/*.test.ts",
  "libs/link-engine/src/**/*.test.ts",
  "services/muc-node/src/room-handler.test.ts",
  "test/e2e/redis-cluster.test.ts",
  "test/e2e/walking-skeleton.test.ts",
  "test/e2e/two-workers.test.ts",
  "test/e2e/xep0289-federation.test.ts",
  "test/e2e/xep0289-chains.test.ts",
  "test/e2e/xep0045-7-enter.test.ts",
  "test/e2e/xep0045-7-occupant.test.ts",
];

export default defineConfig({
  resolve: { conditions: ["source"] },
  ssr: { resolve: { conditions: ["source"] } },
  test: {
    pool: "forks",
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    globalSetup: ["test/harness/global-setup.ts"],
    reporters: ["default", "./test/harness/summary-reporter.ts"],
    projects: [
      {
        extends: true,
        test: {
          name: "default",
          include: ["libs/*/src/**/*.test.ts", "services/*/src/**/*.test.ts", "test/**/*.test.ts"],
          exclude: ["**/node_modules/**", "test/e2e/redis-cluster.test.ts"],
        },
      },
      {
        extends: true,
        test: { name: "cluster", include: ON_CLUSTER, env: { REDIS_MODE: "cluster" } },
      },
    ],
  },
});
