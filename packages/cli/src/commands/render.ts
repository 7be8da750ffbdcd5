import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { PolyarchError } from "@polyarch/errors";
import { manifestReference, openStore, parseReference } from "@polyarch/oci";
import {
  formatProblems,
  pinHelperImage,
  type RenderedFileName,
  type ResolveDigest,
  renderFleet,
  validateFleetYaml,
} from "@polyarch/runner-config";
import { type Io, writeLine } from "../output.ts";
import { createClient } from "../registry-client.ts";
import type { RegistryFlags } from "../registry-flags.ts";

export interface RenderOptions extends RegistryFlags {
  /** Path of the fleet file, relative to the working directory. */
  fleet: string;
  /** Directory the files are written to. @default "." */
  out?: string;
  /** Validate and render, write nothing. @default false */
  check?: boolean;
  /** Print this one file to stdout instead of writing files. */
  stdout?: "config" | "values";
  /** Pin the helper image by the digest its tag points to now. @default false */
  resolveDigests?: boolean;
}

export interface RenderDeps {
  resolveDigest: ResolveDigest;
}

/**
 * --resolve-digests asks the registry what the helper image's tag points at, with the registry flags
 * (`--username`/`--password` go to the helper image's registry) and the usual credentials.
 */
export function registryRenderDeps(io: Io, flags: RegistryFlags = {}): RenderDeps {
  return {
    resolveDigest: async (text) => {
      const reference = parseReference(text);
      const host = reference.kind === "registry" ? reference.registry : undefined;
      const { client } = await createClient(flags, io, host);
      try {
        const head = await openStore(reference, client).headManifest(manifestReference(reference));
        if (!head) {
          throw new PolyarchError(
            "POLYARCH_E_MANIFEST_UNKNOWN",
            `cannot pin ${text}: the registry has no such tag`,
            {
              hint: "run `polyarch helper refresh` first, or fix helper_image in the fleet file",
            },
          );
        }
        return head.digest;
      } finally {
        await client.close();
      }
    },
  };
}

export interface RenderResult {
  mode: "written" | "checked" | "stdout";
  fleet: string;
  /** Paths of the rendered files (written, or that would be written). */
  files: string[];
  /** The file printed for --stdout. */
  stdout?: string;
}

const STDOUT_FILES: Record<NonNullable<RenderOptions["stdout"]>, RenderedFileName> = {
  config: "config.toml",
  values: "values.yaml",
};

/**
 * Reads and validates a fleet file, renders config.toml, values.yaml and secret.example.yaml, and writes
 * them, only once everything has validated and rendered. Warnings go to stderr.
 */
export async function render(
  options: RenderOptions,
  io: Io,
  deps: RenderDeps = registryRenderDeps(io, options),
): Promise<RenderResult> {
  const fleetPath = path.resolve(io.cwd, options.fleet);
  const text = await readFleet(fleetPath, options.fleet);
  const validation = validateFleetYaml(text);
  if (!validation.ok) {
    const count = validation.problems.length;
    throw new PolyarchError(
      "POLYARCH_E_FLEET_INVALID",
      `${options.fleet}: ${count} ${count === 1 ? "problem" : "problems"}\n${indent(formatProblems(validation.problems))}`,
      { hint: "fix the keys above; packages/runner-config/README.md documents every key of the fleet file" },
    );
  }
  const fleet = options.resolveDigests
    ? await pinHelperImage(validation.fleet, deps.resolveDigest)
    : validation.fleet;
  const rendered = renderFleet(fleet);
  for (const warning of rendered.warnings) writeLine(io.stderr, `polyarch: warning: ${warning}`);

  if (options.stdout !== undefined) {
    const name = STDOUT_FILES[options.stdout];
    const file = rendered.files.find((candidate) => candidate.name === name);
    if (file === undefined)
      throw new PolyarchError(
        "POLYARCH_E_NOTHING_TO_PRINT",
        `${options.fleet} renders no ${name}: it has no kubernetes runner`,
        { hint: "use --stdout config, or add a kubernetes runner" },
      );
    return { mode: "stdout", fleet: options.fleet, files: [name], stdout: file.content };
  }

  const outDir = path.resolve(io.cwd, options.out ?? ".");
  const files = rendered.files.map((file) => path.join(outDir, file.name));
  if (options.check) return { mode: "checked", fleet: options.fleet, files };

  await makeOutDir(outDir, options.out ?? ".");
  // Every file is written in full before any is renamed into place, so a failure leaves the old set.
  const staged: Array<{ temporary: string; target: string }> = [];
  try {
    for (const file of rendered.files) {
      const target = path.join(outDir, file.name);
      // A person fills in the secret template in place: keep it private from the start.
      const mode = file.name === "secret.example.yaml" ? 0o600 : 0o644;
      const temporary = `${target}.${process.pid}.tmp`;
      staged.push({ temporary, target });
      await writeFile(temporary, file.content, { mode });
    }
  } catch (error: unknown) {
    await Promise.all(staged.map(({ temporary }) => rm(temporary, { force: true })));
    throw error;
  }
  for (const { temporary, target } of staged) await rename(temporary, target);
  return { mode: "written", fleet: options.fleet, files };
}

/** What `polyarch render` prints on stdout for a result. */
export function formatRenderResult(result: RenderResult, io: Io): string {
  if (result.mode === "stdout") return result.stdout ?? "";
  const shown = result.files.map((file) => path.relative(io.cwd, file) || file);
  if (result.mode === "checked")
    return `${result.fleet} is valid; it renders ${shown.join(", ")} (nothing written)\n`;
  return shown.map((file) => `wrote ${file}\n`).join("");
}

async function makeOutDir(absolute: string, shown: string): Promise<void> {
  try {
    await mkdir(absolute, { recursive: true });
  } catch {
    throw new PolyarchError(
      "POLYARCH_E_BAD_FLAG",
      `--out ${shown} is not a directory polyarch can write to`,
      { hint: "give a directory path" },
    );
  }
}

async function readFleet(absolute: string, shown: string): Promise<string> {
  try {
    return await readFile(absolute, "utf8");
  } catch (error: unknown) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT")
      throw new PolyarchError("POLYARCH_E_FLEET_NOT_FOUND", `fleet file ${shown} does not exist`, {
        hint: "check the path",
      });
    throw new PolyarchError("POLYARCH_E_FLEET_UNREADABLE", `fleet file ${shown} cannot be read`, {
      hint: "give the path of a readable YAML file",
    });
  }
}

function indent(text: string): string {
  return text
    .split("\n")
    .map((line) => `  ${line}`)
    .join("\n");
}
