import { createHash } from "node:crypto";
import { PolyarchError } from "@polyarch/errors";
import { formatReference, type ImageReference } from "@polyarch/oci";
import type { SyncPlan } from "./plan.ts";

/** Shard `index` of `total` (1-based, like GitLab's CI_NODE_INDEX of CI_NODE_TOTAL in a `parallel: N` job). */
export interface Shard {
  index: number;
  total: number;
}

/** `INDEX/TOTAL` (`--shard "$CI_NODE_INDEX/$CI_NODE_TOTAL"`); anything else is a POLYARCH_E_BAD_SHARD. */
export function parseShard(text: string): Shard {
  const match = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = Number(match?.[1]);
  const total = Number(match?.[2]);
  if (!match || index < 1 || total < 1 || index > total)
    throw new PolyarchError("POLYARCH_E_BAD_SHARD", `--shard ${JSON.stringify(text)} is not INDEX/TOTAL`, {
      hint: 'give e.g. --shard 2/4 (1 <= INDEX <= TOTAL); in a parallel job, --shard "$CI_NODE_INDEX/$CI_NODE_TOTAL"',
    });
  return { index, total };
}

/**
 * The shard (1…total) that owns a key: the first four bytes of its SHA-256, modulo total. It depends on
 * the key alone, so an image stays with its shard from run to run whatever else the spec lists, and
 * every shard of a run computes the same split without talking to the others.
 */
export function shardOf(key: string, total: number): number {
  return (createHash("sha256").update(key).digest().readUInt32BE(0) % total) + 1;
}

/**
 * The part of a plan one shard carries out (pure): the items whose target reference it owns, and the
 * planning failures whose source it owns, so that the shards together report each failure once.
 */
export function shardPlan(plan: SyncPlan, shard: Shard | undefined): SyncPlan {
  if (shard === undefined || shard.total === 1) return plan;
  const owns = (key: string) => shardOf(key, shard.total) === shard.index;
  return {
    items: plan.items.filter((item) => owns(shardKey(item.target))),
    failures: plan.failures.filter((failure) => owns(failure.source)),
    notes: plan.notes,
  };
}

/**
 * What an item's shard is decided by: its target without the registry host (`mirror/app:1`), so moving
 * the mirror to another registry, or a test registry's port, does not reshuffle the shards.
 */
export function shardKey(target: ImageReference): string {
  if (target.kind === "layout") return formatReference(target);
  return `${target.repository}${target.tag ? `:${target.tag}` : ""}${target.digest ? `@${target.digest}` : ""}`;
}
