import { defineConfig } from "vitest/config";

// Tests run against the TypeScript sources of every workspace package, never their builds: the
// packages are inlined (processed by vite rather than loaded by Node) so the `polyarch-source`
// export condition applies to them.
const sourceCondition = ["polyarch-source"];

export default defineConfig({
  resolve: { conditions: sourceCondition },
  ssr: { resolve: { conditions: sourceCondition } },
  test: {
    include: ["packages/*/src/**/*.test.ts", "test/**/*.test.ts"],
    server: { deps: { inline: [/@polyarch\//] } },
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Every password and token the harness hands out is checked against everything polyarch printed or wrote.
    setupFiles: ["test/setup/secrets.ts"],
    globalSetup: ["test/setup/tally-global.ts"],
  },
});
