import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: {
    // Tests run against the TypeScript sources of every workspace package, not their builds.
    conditions: ["polyarch-source"],
  },
  test: {
    include: ["packages/*/src/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Each file starts its own registries; two cores run two files at a time.
    fileParallelism: true,
  },
});
