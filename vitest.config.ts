// Three test projects, named for what they run: `unit` in Node in-process, `worker` inside workerd, `e2e` our programs as child processes.
import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";
import LongFirst from "./test/support/long-first.js";

/**
 * Per-test and per-hook timeouts for a loaded 2-core runner, with a wide margin: they catch a hang, never a
 * slow machine. No test asserts elapsed time; speed is measured by `npm run bench`.
 */
const timeouts = { testTimeout: 120_000, hookTimeout: 120_000, teardownTimeout: 60_000 };

export default defineConfig({
  test: {
    reporters: ["default", "./test/support/plain-summary.ts"],
    // vitest's default is one worker per core but one, which is a single worker on a 2-core runner, so every file
    // would wait on the one before it. Most files here spend their time waiting (on wrangler, a child process, the
    // emulator's pacing), so `unit` and `e2e` share four workers, the files known to be longest starting first.
    // `worker` runs its files one at a time, after both.
    maxWorkers: 4,
    sequence: { sequencer: LongFirst },
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
        test: {
          name: "e2e",
          ...timeouts,
          environment: "node",
          include: ["test/e2e/**/*.test.ts"],
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
          name: "worker",
          ...timeouts,
          include: ["test/worker/**/*.test.ts"],
          // One ngrok account and one repository are shared by the Worker's bindings: files run one after another.
          fileParallelism: false,
          maxWorkers: 1,
          // ...in one workerd runtime that keeps its module cache (`isolate: false`): starting workerd and importing the
          // Worker once per file was most of this project's time. Storage stays per file: the setup file deletes every
          // Durable Object and KV entry before each file and fails the file if any survive.
          isolate: false,
          setupFiles: ["test/support/worker-file-reset.ts"],
          // Its own group (after unit and e2e, as before): one group cannot mix maxWorkers 4 and 1.
          sequence: { groupOrder: 1 },
          globalSetup: ["test/support/global-setup.ts"],
        },
      },
    ],
  },
});
