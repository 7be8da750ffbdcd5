#!/usr/bin/env node
import { main } from "../dist/index.js";

// A closed pipe (`polyarch inspect … | head`) ends output quietly, as for any Unix tool.
process.stdout.on("error", (error) => {
  if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
  throw error;
});

process.exitCode = await main(process.argv);
