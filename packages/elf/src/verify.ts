import { PolyarchError } from "@polyarch/errors";
import type { Descriptor, ImageStore, LayerStream } from "@polyarch/oci";
import { ImageTree, type TreeNode } from "./image-tree.ts";
import { type LayerEntry, normalizeLayerPath, readLayerEntries } from "./layer-entries.ts";
import { type ElfPlatform, type ExpectedPlatform, elfMatchesPlatform } from "./machines.ts";
import { type ElfBinary, elfBinary, isRunnableElf } from "./scan.ts";

/** One layer of an image, bottom first, opened only when its turn comes. */
export interface LayerSource {
  mediaType: string;
  /** For messages only (`sha256:…`). */
  digest?: string;
  open(): Promise<LayerStream>;
}

/** An image's layers as they are in a store, for `verifyBinaries`: each opened when its turn comes. */
export function storeLayers(
  store: Pick<ImageStore, "openBlob">,
  layers: readonly Descriptor[],
): LayerSource[] {
  return layers.map((layer) => ({
    mediaType: layer.mediaType,
    digest: layer.digest,
    open: () => store.openBlob(layer),
  }));
}

export interface VerifyBinariesOptions {
  layers: readonly LayerSource[];
  expected: ExpectedPlatform;
  /**
   * The binaries that matter (`/usr/bin/gitlab-runner-helper`), resolved through symlinks in the merged
   * image. When none of them is an ELF executable in the image, every ELF executable is checked instead.
   */
  paths?: readonly string[];
}

export interface BinaryMismatch {
  /** As requested in `paths`, or the file's own path when every executable was checked. */
  path: string;
  found: ElfPlatform;
  /** Human name of the machine found (`AArch64`). */
  foundName: string;
  /** The layer the binary comes from: its position (1 = bottom) and digest, when known. */
  layer?: { position: number; digest?: string };
}

export interface VerifyBinariesResult {
  /** True when no checked binary contradicts `expected`; also true when nothing could be checked. */
  ok: boolean;
  /** How many binaries were checked. */
  checked: number;
  /** `paths`: only the requested paths were checked; `all`: every ELF executable in the image. */
  scope: "paths" | "all";
  mismatches: BinaryMismatch[];
  /** Machines seen among the checked binaries, most frequent first. */
  machines: Array<{ architecture: string; name: string; count: number }>;
  /** One line for a person. */
  summary: string;
  /** Why the scope differs from what was asked, which paths were missing, why nothing was checked. */
  notes: string[];
}

interface Checked {
  path: string;
  binary: ElfBinary;
}

/**
 * Checks that an image's binaries are for the platform its config or index claims, from the bytes:
 * the layers are applied in order (whiteouts and later files hide earlier ones), then every checked
 * ELF executable or shared object whose machine is not `expected` is a mismatch. Any mismatch fails
 * the check: static foreign binaries (qemu-user-static and the like) are rare in images, and callers
 * that ship them can narrow the check with `paths`.
 */
export async function verifyBinaries(options: VerifyBinariesOptions): Promise<VerifyBinariesResult> {
  const notes: string[] = [];
  const tree = await mergeLayers(options.layers, notes);
  let scope: VerifyBinariesResult["scope"] = "all";
  let checked: Checked[] = tree.binaries().map((binary) => ({ path: binary.path, binary }));

  if (options.paths !== undefined && options.paths.length > 0) {
    const requested = [...new Set(options.paths.map(normalizeLayerPath))];
    const found: Checked[] = [];
    const missing: string[] = [];
    for (const path of requested) {
      const binary = tree.resolve(path);
      if (binary === undefined) missing.push(path);
      else found.push({ path, binary });
    }
    if (found.length > 0) {
      scope = "paths";
      checked = found;
      if (missing.length > 0) notes.push(`not an ELF executable in the image: ${missing.join(", ")}`);
    } else {
      notes.push(
        `none of ${requested.join(", ")} is an ELF executable in the image; checked every ELF executable instead`,
      );
    }
  }

  const mismatches = checked
    .filter(({ binary }) => !elfMatchesPlatform(binary.platform, options.expected))
    .map(({ path, binary }) => {
      const position = binary.layer === undefined ? undefined : binary.layer + 1;
      const digest = binary.layer === undefined ? undefined : options.layers[binary.layer]?.digest;
      return {
        path,
        found: binary.platform,
        foundName: binary.name,
        ...(position !== undefined && { layer: { position, ...(digest !== undefined && { digest }) } }),
      };
    });
  if (checked.length === 0) {
    notes.push("no ELF executables in the image: its architecture cannot be checked from its binaries");
  }
  return {
    ok: mismatches.length === 0,
    checked: checked.length,
    scope,
    mismatches,
    machines: countMachines(checked),
    summary: summarize(checked, mismatches, options.expected, options.layers.length),
    notes,
  };
}

/** The image's files, its layers applied in order; `notes` gets each layer whose media type lies. */
async function mergeLayers(layers: readonly LayerSource[], notes: string[]): Promise<ImageTree> {
  const tree = new ImageTree();
  for (const [index, layer] of layers.entries()) {
    // A layer changes only what is below it: its own entries land once it has been read whole.
    const upper = new Map<string, TreeNode>();
    const stream = await layer.open();
    const digest = layer.digest === undefined ? "" : ` (${layer.digest})`;
    const onNote = (note: string) => notes.push(`layer ${index + 1} of ${layers.length}${digest}: ${note}`);
    try {
      for await (const entry of readLayerEntries(stream, layer.mediaType, { onNote }))
        applyEntry(tree, upper, entry, index);
    } catch (error: unknown) {
      if (!(error instanceof PolyarchError)) throw error;
      throw new PolyarchError(
        error.code,
        `layer ${index + 1} of ${layers.length}${digest}: ${error.message}`,
        {
          hint: error.hint,
          cause: error,
        },
      );
    }
    for (const [path, node] of upper) tree.set(path, node);
  }
  return tree;
}

function applyEntry(tree: ImageTree, upper: Map<string, TreeNode>, entry: LayerEntry, layer: number) {
  switch (entry.kind) {
    case "whiteout":
      tree.deleteTree(entry.path);
      return;
    case "opaque":
      tree.deleteChildren(entry.path);
      return;
    case "directory":
      // A directory merges with one below; it only replaces a file or symlink there.
      tree.delete(entry.path);
      upper.delete(entry.path);
      return;
    case "hardlink": {
      // A hardlink is the file it links to, in this layer or one below.
      const target = upper.get(entry.target) ?? tree.get(entry.target);
      tree.deleteTree(entry.path);
      if (target === undefined) upper.delete(entry.path);
      else if (target.kind === "elf")
        upper.set(entry.path, { kind: "elf", binary: { ...target.binary, path: entry.path, layer } });
      else upper.set(entry.path, target);
      return;
    }
    case "symlink":
      tree.deleteTree(entry.path);
      upper.set(entry.path, { kind: "symlink", target: entry.target });
      return;
    case "file":
      tree.deleteTree(entry.path);
      if (entry.elf !== undefined && isRunnableElf(entry.elf)) {
        upper.set(entry.path, {
          kind: "elf",
          binary: { ...elfBinary(entry.path, entry.size, entry.elf), layer },
        });
      } else {
        upper.delete(entry.path);
      }
      return;
    case "other":
      tree.deleteTree(entry.path);
      upper.delete(entry.path);
      return;
  }
}

function countMachines(checked: readonly Checked[]): VerifyBinariesResult["machines"] {
  const counts = new Map<string, { architecture: string; name: string; count: number }>();
  for (const { binary } of checked) {
    const row = counts.get(binary.name) ?? {
      architecture: binary.platform.architecture,
      name: binary.name,
      count: 0,
    };
    row.count += 1;
    counts.set(binary.name, row);
  }
  return [...counts.values()].sort((a, b) => b.count - a.count || (a.name < b.name ? -1 : 1));
}

const LISTED_MISMATCHES = 3;

function summarize(
  checked: readonly Checked[],
  mismatches: readonly BinaryMismatch[],
  expected: ExpectedPlatform,
  layerCount: number,
): string {
  const platform =
    expected.variant === undefined ? expected.architecture : `${expected.architecture}/${expected.variant}`;
  if (checked.length === 0) {
    return `no ELF executables in ${layerCount} layer(s); ${platform} could not be checked from the binaries`;
  }
  const noun = checked.length === 1 ? "ELF executable" : "ELF executables";
  if (mismatches.length === 0) {
    const names = [...new Set(checked.map(({ binary }) => binary.name))].join(", ");
    const paths =
      checked.length <= LISTED_MISMATCHES ? ` (${checked.map(({ path }) => path).join(", ")})` : "";
    return `${checked.length} ${noun} checked${paths}: ${names}, matching ${platform}`;
  }
  const listed = mismatches
    .slice(0, LISTED_MISMATCHES)
    .map((mismatch) => `${mismatch.path} is ${mismatch.foundName}`)
    .join(", ");
  const more =
    mismatches.length > LISTED_MISMATCHES ? `, and ${mismatches.length - LISTED_MISMATCHES} more` : "";
  return `${mismatches.length} of ${checked.length} ${noun} not ${platform}: ${listed}${more}`;
}
