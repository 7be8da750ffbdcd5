import { PolyarchError } from "@polyarch/errors";
import type { IndexType, MergeReport } from "@polyarch/merge";
import { splitList } from "../format.ts";
import type { Io } from "../output.ts";
import type { RegistryFlags } from "../registry-flags.ts";
import { type MergeOptions, mergeCommand } from "./merge.ts";

/**
 * manifest-tool's flags (https://github.com/estesp/manifest-tool), so `manifest-tool push from-args …`
 * becomes `polyarch push from-args …` with nothing else changed. Global flags may stand before or
 * after `push`; the merge follows manifest-tool's rules (see @polyarch/merge `MergeRules`).
 */
export interface ManifestToolFlags extends RegistryFlags {
  platforms?: string[];
  template?: string;
  target?: string;
  tags?: string[];
  ignoreMissing?: boolean;
  ignoreUnknownKeys?: boolean;
  fixPlatform?: boolean;
  sameImage?: boolean;
  type?: string;
  annotations?: string[];
}

export async function pushFromArgs(flags: ManifestToolFlags, io: Io): Promise<MergeReport> {
  return mergeCommand([], translate(flags), io);
}

export async function pushFromSpec(file: string, flags: ManifestToolFlags, io: Io): Promise<MergeReport> {
  return mergeCommand([], { ...translate(flags), spec: file }, io);
}

function translate(flags: ManifestToolFlags): MergeOptions {
  const { platforms, tags, annotations, type, ...rest } = flags;
  const options: MergeOptions = {
    ...rest,
    rules: "manifest-tool",
    type: manifestToolType(type ?? "docker"),
    annotation: (annotations ?? []).flatMap(splitList),
  };
  if (platforms?.length) options.platforms = platforms.flatMap(splitList).join(",");
  if (tags?.length) options.tags = tags.flatMap(splitList).join(",");
  return options;
}

/**
 * `--type` as manifest-tool reads it, in any case. manifest-tool writes a Docker list for every value
 * but `oci`; polyarch refuses a value that is neither, rather than guess.
 */
export function manifestToolType(value: string): IndexType {
  const lower = value.toLowerCase();
  if (lower === "oci" || lower === "docker") return lower;
  throw new PolyarchError("POLYARCH_E_BAD_FLAG", `--type "${value}" is not an index type (docker or oci)`, {
    hint: "manifest-tool would have written a Docker manifest list for it; --type docker does that, --type oci writes an OCI index",
  });
}

/** manifest-tool's output line, which pipelines parse. */
export function manifestToolOutput(report: MergeReport): string {
  return `Digest: ${report.digest} ${report.index.length}\n`;
}
