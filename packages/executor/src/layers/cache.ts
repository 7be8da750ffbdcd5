import { randomBytes } from "node:crypto";
import { mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { PolyarchError } from "@polyarch/errors";
import { withFileLock } from "@polyarch/oci";
import type { IdRange } from "../host/subids.ts";
import { type JobNamespace, runAsNamespaceRoot, withFullRangeNamespace } from "../sandbox/job-namespace.ts";
import { type CacheKind, cacheDir, cacheEntryFiles, cacheLock } from "../state/layout.ts";
import { assembleRoot } from "./assemble.ts";
import { giveOwners } from "./owners.ts";
import { type LayerChanges, unpackLayer } from "./unpack.ts";

/** A layer the cache holds unpacked: its tree and the deletions it makes in the layers below. */
export interface CachedLayer {
  key: string;
  tree: string;
  changes: LayerChanges;
}

/** The layer blob to unpack when the cache does not hold it yet. */
export interface LayerSource {
  digest: string;
  mediaType: string;
  open: () => Promise<Readable>;
}

/** Content-addressed `sha256:ab…` → `sha256-ab…` (a file name). */
export function cacheKey(digest: string): string {
  return digest.replace(":", "-");
}

/** Layers unpacked since their entries' owners are recorded (unpack.ts): earlier entries lack them. */
const LAYER_KEY_SUFFIX = "-owners";
/** Roots whose files were given their owners in a full-range namespace; roots without are all the runner's. */
const OWNED_ROOT_SUFFIX = "-owned";

/**
 * A lock held across processes (parallel jobs on one host). Another job may be unpacking a large layer
 * under it, so wait up to a quarter of an hour before calling the cache busy.
 */
async function withLock<T>(path: string, task: () => Promise<T>): Promise<T> {
  await mkdir(join(path, ".."), { recursive: true });
  return withFileLock(path, task, {
    waitMs: 15 * 60_000,
    busy: () =>
      new PolyarchError("POLYARCH_E_SANDBOX", `the image cache stayed locked at ${path}`, {
        hint: `another job has held it for a quarter of an hour; if no job is running, remove ${path}.lock`,
      }),
  });
}

/**
 * The executor's content-addressed cache under `stateDir` (state/layout.ts), shared by every job on the host:
 * `layers/<digest>/{tree,changes.json}` (one unpacked copy of each layer) and `roots/<manifest>/tree`
 * (an image's layers merged, its files hard links into the layer trees, so common layers are stored
 * once). Entries are built in a temporary directory and renamed into place under a lock: a half-built
 * entry is never seen, and two jobs needing the same layer unpack it once.
 */
export class ImageCache {
  readonly stateDir: string;
  /** The runner's full range of subordinate ids: roots are given their files' owners (layers never are). */
  readonly #ids: { uids: IdRange; gids: IdRange } | undefined;

  constructor(stateDir: string, ids?: { uids: IdRange; gids: IdRange }) {
    this.stateDir = stateDir;
    this.#ids = ids;
  }

  #dir(kind: CacheKind, key: string): string {
    return join(cacheDir(this.stateDir, kind), key);
  }

  #lock(kind: CacheKind, key: string): string {
    return cacheLock(this.stateDir, `${kind}-${key}`);
  }

  async #scratch(kind: CacheKind): Promise<string> {
    const path = join(cacheDir(this.stateDir, kind), `.tmp-${randomBytes(6).toString("hex")}`);
    await mkdir(path, { recursive: true });
    return path;
  }

  async #complete<T>(
    kind: CacheKind,
    key: string,
    read: (dir: string) => Promise<T>,
  ): Promise<T | undefined> {
    const dir = this.#dir(kind, key);
    try {
      const found = await read(dir);
      const now = new Date();
      await utimes(dir, now, now);
      return found;
    } catch (error: unknown) {
      if ((error as { code?: unknown }).code === "ENOENT") return undefined;
      throw error;
    }
  }

  async #readLayer(key: string): Promise<CachedLayer | undefined> {
    return this.#complete("layers", key, async (dir) => ({
      key,
      tree: cacheEntryFiles(dir).tree,
      changes: JSON.parse(await readFile(cacheEntryFiles(dir).changes, "utf8")) as LayerChanges,
    }));
  }

  /** The layer unpacked, unpacking it first when no job has (once per host, whoever asks first). */
  async layer(source: LayerSource, what: string): Promise<{ layer: CachedLayer; unpacked: boolean }> {
    const key = `${cacheKey(source.digest)}${LAYER_KEY_SUFFIX}`;
    const cached = await this.#readLayer(key);
    if (cached) return { layer: cached, unpacked: false };
    return withLock(this.#lock("layers", key), async () => {
      const again = await this.#readLayer(key);
      if (again) return { layer: again, unpacked: false };
      const scratch = await this.#scratch("layers");
      try {
        const files = cacheEntryFiles(scratch);
        await mkdir(files.tree, { mode: 0o755 });
        const changes = await unpackLayer(await source.open(), source.mediaType, files.tree, what);
        await writeFile(files.changes, `${JSON.stringify(changes)}\n`);
        await rename(scratch, this.#dir("layers", key));
      } catch (error: unknown) {
        await rm(scratch, { recursive: true, force: true });
        throw error;
      }
      const layer = await this.#readLayer(key);
      if (!layer) throw new Error(`layer ${key} vanished after it was unpacked`);
      return { layer, unpacked: true };
    });
  }

  /**
   * The image's merged tree (keyed by its manifest digest, and whether its files have their owners),
   * assembling it from its layers first. With the runner's full range the owned files are copies given
   * their owners in a namespace of that range; the layers' own files stay the runner's.
   */
  async root(manifestDigest: string, layers: CachedLayer[]): Promise<{ tree: string; key: string }> {
    const key = `${cacheKey(manifestDigest)}${this.#ids === undefined ? "" : OWNED_ROOT_SUFFIX}`;
    const read = (dir: string) => stat(cacheEntryFiles(dir).layers).then(() => cacheEntryFiles(dir).tree);
    const found = async () => {
      const tree = await this.#complete("roots", key, read);
      return tree === undefined ? undefined : { tree, key };
    };
    const cached = await found();
    if (cached) return cached;
    return withLock(this.#lock("roots", key), async () => {
      const again = await found();
      if (again) return again;
      const scratch = await this.#scratch("roots");
      try {
        const files = cacheEntryFiles(scratch);
        const ids = this.#ids;
        const owners = await assembleRoot(files.tree, layers, { ownedCopies: ids !== undefined });
        if (ids !== undefined && Object.keys(owners).length > 0) {
          await this.#inNamespace(ids, (namespace, dir) => giveOwners(files.tree, owners, namespace, dir));
        }
        await writeFile(files.layers, `${JSON.stringify(layers.map((layer) => layer.key))}\n`);
        await rename(scratch, this.#dir("roots", key));
      } catch (error: unknown) {
        await this.#removeTree(scratch);
        throw error;
      }
      return { tree: cacheEntryFiles(this.#dir("roots", key)).tree, key };
    });
  }

  /** `task` with a namespace of the runner's full range, its holder's files in a directory of its own. */
  async #inNamespace<T>(
    ids: { uids: IdRange; gids: IdRange },
    task: (namespace: JobNamespace, dir: string) => Promise<T>,
  ): Promise<T> {
    const dir = await this.#scratch("roots");
    try {
      return await withFullRangeNamespace(ids, dir, (namespace) => task(namespace, dir));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** Removes a tree of the cache; one with owners other than the runner as root of its full range. */
  async #removeTree(path: string): Promise<void> {
    const ids = this.#ids;
    if (ids !== undefined) {
      await this.#inNamespace(ids, (namespace) =>
        runAsNamespaceRoot(namespace, ["rm", "-rf", "--one-file-system", "--", path]),
      );
    }
    await rm(path, { recursive: true, force: true });
  }

  /**
   * Evicts least-recently-used roots and layers until the layers' bytes fit `maxBytes`. Roots in
   * `inUse` (keys of roots that prepared jobs run on) and the layers they are made of are kept.
   */
  async evict(maxBytes: number, inUse: ReadonlySet<string>): Promise<string[]> {
    return withLock(cacheLock(this.stateDir, "evict"), async () => {
      const roots = await this.#entries(
        "roots",
        async (dir) => JSON.parse(await readFile(cacheEntryFiles(dir).layers, "utf8")) as string[],
      );
      const layers = await this.#entries(
        "layers",
        async (dir) =>
          (JSON.parse(await readFile(cacheEntryFiles(dir).changes, "utf8")) as LayerChanges).bytes,
      );
      const evicted: string[] = [];
      let total = layers.reduce((sum, layer) => sum + layer.value, 0);
      while (total > maxBytes) {
        const needed = new Set(roots.flatMap((root) => root.value));
        const candidates = [
          ...roots
            .filter((root) => !inUse.has(root.key))
            .map((root) => ({ ...root, kind: "roots" as const })),
          ...layers
            .filter((layer) => !needed.has(layer.key))
            .map((layer) => ({ ...layer, kind: "layers" as const })),
        ].sort((a, b) => a.usedAt - b.usedAt);
        const oldest = candidates[0];
        if (oldest === undefined) break;
        await this.#remove(oldest.kind, oldest.key);
        evicted.push(`${oldest.kind}/${oldest.key}`);
        if (oldest.kind === "roots")
          roots.splice(
            roots.findIndex((root) => root.key === oldest.key),
            1,
          );
        else {
          layers.splice(
            layers.findIndex((layer) => layer.key === oldest.key),
            1,
          );
          total -= oldest.value as number;
        }
      }
      return evicted;
    });
  }

  async #entries<T>(kind: CacheKind, read: (dir: string) => Promise<T>) {
    let names: string[];
    try {
      names = await readdir(cacheDir(this.stateDir, kind));
    } catch (error: unknown) {
      if ((error as { code?: unknown }).code === "ENOENT") return [];
      throw error;
    }
    const entries: Array<{ key: string; usedAt: number; value: T }> = [];
    for (const key of names) {
      if (key.startsWith(".")) continue;
      const dir = this.#dir(kind, key);
      entries.push({ key, usedAt: (await stat(dir)).mtimeMs, value: await read(dir) });
    }
    return entries;
  }

  /** Renamed away first, so no job finds a half-deleted entry. */
  async #remove(kind: CacheKind, key: string): Promise<void> {
    const trash = join(cacheDir(this.stateDir, kind), `.evicted-${randomBytes(6).toString("hex")}`);
    await rename(this.#dir(kind, key), trash);
    if (key.endsWith(OWNED_ROOT_SUFFIX)) await this.#removeTree(trash);
    else await rm(trash, { recursive: true, force: true });
  }
}
