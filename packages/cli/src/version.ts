import { createRequire } from "node:module";

/** polyarch's version, from the cli package's package.json (the same path from src/ and dist/). */
export function polyarchVersion(): string {
  const manifest = createRequire(import.meta.url)("../package.json") as { version: string };
  return manifest.version;
}
