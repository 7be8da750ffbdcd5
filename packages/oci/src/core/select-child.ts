import { isAttestation } from "./attestation.ts";
import { normalizePlatform, type Platform } from "./platform.ts";
import type { Descriptor } from "./schemas.ts";

/**
 * How a `want` is read when choosing a child of an index:
 * - `runs-on`: `want` is a machine (the executor's host): the best child it can run;
 * - `exactly`: `want` names a platform (a user's `--platform`, a build's target): the child that is it.
 */
export type ChildMatch = "runs-on" | "exactly";

/**
 * The variants a machine of `platform` runs, best first (`platform` normalized; `undefined` is the
 * architecture's baseline, no variant). Modelled on containerd's `platformVector` (platforms `Only`):
 * amd64/vN runs vN…v2 and the baseline; arm/vN runs vN…v5; arm64/v8.x runs v8.x…v8.0, arm64/v9.x runs
 * v9.x…v9.0 then v8.(x+5)…v8.0. Any other variant runs only itself. Unlike containerd, amd64 does not
 * fall back to 386 nor arm64 to 32-bit arm: many arm64 servers have no AArch32, and the executor's
 * answer to another architecture is emulation, which it states.
 */
function runnableVariants(platform: Platform): Array<string | undefined> {
  const { architecture, variant } = platform;
  if (architecture === "amd64") {
    const level = variant === undefined ? 1 : levelOf(variant);
    if (level === undefined) return [variant];
    return [...descending(level, 2).map((n) => `v${n}`), undefined];
  }
  if (architecture === "arm") {
    const level = variant === undefined ? undefined : levelOf(variant);
    return level === undefined || level < 5 ? [variant] : descending(level, 5).map((n) => `v${n}`);
  }
  if (architecture === "arm64") {
    const version = /^v(8|9)(?:\.(\d))?$/.exec(variant ?? "v8");
    if (!version) return [variant];
    const major = Number(version[1]);
    const minor = Number(version[2] ?? 0);
    const arm64 = (m: number, n: number) =>
      m === 8 && n === 0 ? undefined : n === 0 ? `v${m}` : `v${m}.${n}`;
    const own = descending(minor, 0).map((n) => arm64(major, n));
    return major === 9 ? [...own, ...descending(Math.min(minor + 5, 9), 0).map((n) => arm64(8, n))] : own;
  }
  return [variant];
}

function levelOf(variant: string): number | undefined {
  const match = /^v(\d+)$/.exec(variant);
  return match ? Number(match[1]) : undefined;
}

function descending(from: number, to: number): number[] {
  return Array.from({ length: Math.max(from - to + 1, 0) }, (_, i) => from - i);
}

/**
 * How well a child built for `child` serves `want`: 0 when it is exactly `want` (normalized), n > 0 when
 * it is the n-th best of the variants `want` runs, undefined when `want` cannot run it (another OS or
 * architecture, or a variant that needs more than `want` has).
 */
export function platformRank(want: Platform, child: Platform): number | undefined {
  const w = normalizePlatform(want);
  const c = normalizePlatform(child);
  if (w.os !== c.os || w.architecture !== c.architecture) return undefined;
  const rank = runnableVariants(w).indexOf(c.variant);
  return rank === -1 ? undefined : rank;
}

/** True when a machine of platform `host` runs an image built for `image` (natively, no emulation). */
export function platformRuns(host: Platform, image: Platform): boolean {
  return platformRank(host, image) !== undefined;
}

/**
 * The child of an index for `want`, or undefined. The one rule every caller uses:
 * - attestation entries (`vnd.docker.reference.type: attestation-manifest`, unknown/unknown) and
 *   entries without a platform are never chosen;
 * - a child is a candidate when `want` runs it (`platformRank`): same OS and architecture, and a
 *   variant that needs no more than `want`'s (an amd64/v2 machine never gets amd64/v3);
 * - with `exactly`, only a child that is `want` once normalized is a candidate;
 * - the best candidate wins whatever the index order: the exact variant first, then the highest one
 *   below it; between equal platforms, the first listed.
 * Like containerd's `platforms.Only(want)` used to sort an index, and regclient's `Compatible` with
 * `Better`.
 */
export function selectChild<T extends Descriptor>(
  children: readonly T[],
  want: Platform,
  match: ChildMatch,
): T | undefined {
  let best: T | undefined;
  let bestRank = Number.POSITIVE_INFINITY;
  for (const child of children) {
    if (child.platform === undefined || isAttestation(child)) continue;
    const rank = platformRank(want, child.platform);
    if (rank === undefined || (match === "exactly" && rank > 0)) continue;
    if (rank < bestRank) {
      best = child;
      bestRank = rank;
    }
  }
  return best;
}
