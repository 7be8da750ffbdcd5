import { Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { main } from "@polyarch/cli";
import { argumentSources, type MergeReport, type MergeRequest, merge, mergeTarget } from "@polyarch/merge";
import { type MirrorReport, mirror } from "@polyarch/mirror";
import { openStore, parseReference, parseWrittenReference, RegistryClient } from "@polyarch/oci";

/** The `polyarch` executable as installed in the workspace root; it runs the built dist, as a user's install does. */
export const POLYARCH_BIN = fileURLToPath(
  new URL("../../node_modules/@polyarch/cli/bin/polyarch.js", import.meta.url),
);

/** The request `polyarch merge --target TARGET SOURCE…` makes, with every option at its default. */
export function mergeRequest(target: string, sources: string[]): MergeRequest {
  return {
    target: mergeTarget(target),
    sources: argumentSources(sources),
    tags: [],
    indexAnnotations: {},
    descriptorAnnotations: [],
    ignoreMissing: false,
    keepAttestations: false,
    verifyBinaries: false,
    dryRun: false,
  };
}

/** Merges through the public API with a fresh client, as one CI job would: no warm connections or caches. */
export async function mergeInProcess(target: string, sources: string[]): Promise<MergeReport> {
  const client = new RegistryClient();
  try {
    return await merge(mergeRequest(target, sources), {
      openStore: (reference) => openStore(reference, client),
    });
  } finally {
    await client.close();
  }
}

/** Runs the CLI in this process (`main(argv, io)`), capturing its output. Rejects on a non-zero exit. */
export async function runCliInProcess(args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<string> {
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  const sink = (chunks: Buffer[]) =>
    new Writable({
      write(chunk: Buffer | string, _encoding, callback) {
        chunks.push(Buffer.from(chunk));
        callback();
      },
    });
  const code = await main(["node", "polyarch", ...args], {
    stdout: sink(stdout),
    stderr: sink(stderr),
    env,
    cwd,
  });
  if (code !== 0) {
    throw new Error(
      `polyarch ${args.join(" ")} exited with ${code}: ${Buffer.concat(stderr).toString().trim()}`,
    );
  }
  return Buffer.concat(stdout).toString();
}

/**
 * `polyarch mirror SOURCE TARGET` through the public API with a fresh client (no warm connections), every
 * option at its default; the references are read as the CLI reads them.
 */
export async function mirrorInProcess(source: string, target: string): Promise<MirrorReport> {
  const client = new RegistryClient();
  try {
    return await mirror(
      { source: parseReference(source), target: parseWrittenReference(target) },
      { openStore: (reference) => openStore(reference, client) },
    );
  } finally {
    await client.close();
  }
}
