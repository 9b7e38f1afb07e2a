// Two test projects: the pure core in Node, and the Worker and its edges inside workerd.
import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

/**
 * Per-test and per-hook timeouts for a loaded 2-core runner, with a wide margin: they catch a hang, never a
 * slow machine. No test asserts elapsed time; speed is measured by `npm run bench`.
 */
const timeouts = { testTimeout: 120_000, hookTimeout: 120_000, teardownTimeout: 60_000 };

export default defineConfig({
  test: {
    reporters: ["default", "./test/support/plain-summary.ts"],
    projects: [
      {
        test: {
          name: "unit",
          ...timeouts,
          environment: "node",
          include: ["src/**/*.test.ts", "dev/**/*.test.ts", "standins/**/*.test.ts", "test/unit/**/*.test.ts", "bench/**/*.test.ts"],
        },
      },
      {
        plugins: [
          cloudflareTest(({ inject }) => ({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              bindings: {
                ...inject("workerBindings"),
              },
            },
          })),
        ],
        test: {
          name: "workers",
          ...timeouts,
          include: ["test/worker/**/*.test.ts"],
          // One ngrok account and one repository are shared by the Worker's bindings: files run one after another.
          fileParallelism: false,
          globalSetup: ["test/support/global-setup.ts"],
        },
      },
    ],
  },
});
