import { posix } from "node:path";

/**
 * What a tar header of a layer asks for, judged before anything is written. A malicious image must not
 * write outside its directory: absolute names, `..`, links climbing out and device nodes are refused,
 * setuid/setgid bits are dropped. Whiteouts: https://github.com/opencontainers/image-spec/blob/main/layer.md#whiteouts
 */
export interface TarHeaderFields {
  name: string;
  type: string | null | undefined;
  linkname?: string | null | undefined;
  mode?: number | null | undefined;
}

/** Paths are relative to the layer's root, normalised, never empty: `usr/bin/env`. */
export type EntryAction =
  | { kind: "directory"; path: string; mode: number }
  | { kind: "file"; path: string; mode: number }
  | { kind: "symlink"; path: string; target: string }
  | { kind: "hardlink"; path: string; target: string }
  /** `path` is deleted from the layers below. */
  | { kind: "whiteout"; path: string }
  /** Everything below the directory `path` in the layers below is hidden. */
  | { kind: "opaque"; path: string }
  /** Harmless but not reproducible unprivileged (FIFOs), or the root itself: nothing is written. */
  | { kind: "skip"; path: string; reason: string }
  | { kind: "refuse"; path: string; reason: string };

const WHITEOUT_PREFIX = ".wh.";
const OPAQUE_MARKER = ".wh..wh..opq";
/** AUFS bookkeeping (`.wh..wh.plnk`): not a whiteout of a real file. */
const WHITEOUT_META_PREFIX = ".wh..wh.";
const SETID_BITS = 0o6000;
const PERMISSION_BITS = 0o1777;

/**
 * `./usr//bin/` → `usr/bin`; undefined when the name is absolute, climbs with `..`, or holds a NUL.
 * (Leading `./` is how most tools write layers; a leading `/` is refused rather than silently stripped.)
 */
export function layerPath(name: string): string | undefined {
  if (name.includes("\0") || name.startsWith("/")) return undefined;
  const segments: string[] = [];
  for (const segment of name.split("/")) {
    if (segment === "" || segment === ".") continue;
    if (segment === "..") return undefined;
    segments.push(segment);
  }
  return segments.join("/");
}

/** Whether a symlink at `path` pointing at relative `target` stays inside the root, read lexically. */
function relativeTargetStaysInside(path: string, target: string): boolean {
  let depth = posix.dirname(path) === "." ? 0 : posix.dirname(path).split("/").length;
  for (const segment of target.split("/")) {
    if (segment === "" || segment === ".") continue;
    depth += segment === ".." ? -1 : 1;
    if (depth < 0) return false;
  }
  return true;
}

/** Judges one header (pure). `written` holds the regular files this layer wrote so far. */
export function judgeEntry(header: TarHeaderFields, written: ReadonlySet<string>): EntryAction {
  const path = layerPath(header.name);
  if (path === undefined) {
    return { kind: "refuse", path: header.name, reason: "its name is absolute or climbs out with .." };
  }
  if (path === "") return { kind: "skip", path: ".", reason: "the root directory itself" };
  const base = posix.basename(path);
  const parent = posix.dirname(path) === "." ? "" : posix.dirname(path);
  if (base === OPAQUE_MARKER) return { kind: "opaque", path: parent };
  if (base.startsWith(WHITEOUT_META_PREFIX)) return { kind: "skip", path, reason: "AUFS metadata" };
  if (base.startsWith(WHITEOUT_PREFIX)) {
    const name = base.slice(WHITEOUT_PREFIX.length);
    if (name === "" || name === "." || name === "..") {
      return { kind: "refuse", path, reason: "a whiteout of nothing" };
    }
    return { kind: "whiteout", path: parent === "" ? name : `${parent}/${name}` };
  }
  const mode = (header.mode ?? 0o644) & PERMISSION_BITS & ~SETID_BITS;
  switch (header.type ?? "file") {
    case "file":
    case "contiguous-file":
      return { kind: "file", path, mode };
    case "directory":
      return { kind: "directory", path, mode };
    case "symlink": {
      const target = header.linkname ?? "";
      if (target === "" || target.includes("\0")) return { kind: "refuse", path, reason: "an empty symlink" };
      // An absolute target is read inside the job's root, where it cannot reach the host.
      if (!target.startsWith("/") && !relativeTargetStaysInside(path, target)) {
        return { kind: "refuse", path, reason: `its symlink target ${target} climbs out of the root` };
      }
      return { kind: "symlink", path, target };
    }
    case "link": {
      const target = layerPath(header.linkname ?? "");
      if (target === undefined || target === "") {
        return {
          kind: "refuse",
          path,
          reason: `its hard link target ${header.linkname} is outside the root`,
        };
      }
      if (!written.has(target)) {
        return { kind: "refuse", path, reason: `its hard link target ${target} is not a file of this layer` };
      }
      return { kind: "hardlink", path, target };
    }
    case "character-device":
    case "block-device":
      return { kind: "refuse", path, reason: "it is a device node" };
    case "fifo":
      return { kind: "skip", path, reason: "FIFOs are not created" };
    default:
      return { kind: "refuse", path, reason: `tar entry type ${header.type} is not supported` };
  }
}
