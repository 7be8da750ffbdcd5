import { formatReference, parseReference } from "@polyarch/oci";
import { describe, expect, it } from "vitest";
import type { SyncPlan } from "./plan.ts";
import { parseShard, shardKey, shardOf, shardPlan } from "./shard.ts";

function planOf(count: number): SyncPlan {
  return {
    items: Array.from({ length: count }, (_, i) => ({
      image: i,
      source: parseReference(`docker.io/library/app${i}:1`),
      target: parseReference(`registry.example.com/mirror/app${i}:1`),
    })),
    failures: [0, 1, 2, 3].map((i) => ({
      image: count + i,
      source: `docker.io/library/broken${i}`,
      error: { code: "POLYARCH_E_NO_TAGS", message: "no tags" },
    })),
    notes: ["a note"],
  };
}

const targets = (plan: SyncPlan) => plan.items.map((item) => formatReference(item.target));

describe("shardPlan", () => {
  it("splits a plan so the shards together hold every item and failure exactly once", () => {
    const plan = planOf(40);
    for (const total of [2, 3, 7]) {
      const shards = Array.from({ length: total }, (_, i) => shardPlan(plan, { index: i + 1, total }));
      expect(shards.flatMap(targets).sort()).toEqual(targets(plan).sort());
      expect(shards.flatMap((shard) => shard.failures).length).toBe(plan.failures.length);
      expect(shards.every((shard) => shard.items.length > 0)).toBe(true);
    }
  });

  it("keeps an image in its shard whatever else the plan lists", () => {
    const small = shardPlan(planOf(10), { index: 2, total: 3 });
    const large = shardPlan(planOf(30), { index: 2, total: 3 });
    expect(targets(large).filter((repository) => targets(small).includes(repository))).toEqual(
      targets(small),
    );
  });

  it("is the first four bytes of the key's SHA-256, modulo the total, plus one", () => {
    // Worked out with coreutils: `printf 'mirror/app1:1' | sha256sum` starts 5ad0040d, and
    // 0x5ad0040d % 3 + 1 = 1, % 7 + 1 = 4; 'mirror/app2:1' starts 27522b95 (2 of 3, 7 of 7).
    expect(shardOf("mirror/app1:1", 3)).toBe(1);
    expect(shardOf("mirror/app1:1", 7)).toBe(4);
    expect(shardOf("mirror/app2:1", 3)).toBe(2);
    expect(shardOf("mirror/app2:1", 7)).toBe(7);
  });

  it("returns the plan unchanged without a shard or with one shard", () => {
    const plan = planOf(5);
    expect(shardPlan(plan, undefined)).toBe(plan);
    expect(shardPlan(plan, { index: 1, total: 1 })).toBe(plan);
  });
});

describe("parseShard", () => {
  it("reads INDEX/TOTAL as GitLab's CI_NODE_INDEX/CI_NODE_TOTAL give it", () => {
    expect(parseShard("2/4")).toEqual({ index: 2, total: 4 });
  });

  it.each(["0/2", "3/2", "2", "a/b", "1/0", "/"])("refuses %s as bad input naming it", (text) => {
    expect(() => parseShard(text)).toThrow(
      expect.objectContaining({
        code: "POLYARCH_E_BAD_SHARD",
        message: expect.stringContaining(JSON.stringify(text)),
      }),
    );
  });
});

describe("shardKey", () => {
  it("leaves the registry host out, so a mirror on another registry keeps its shards", () => {
    expect(shardKey(parseReference("registry.example.com/mirror/app1:1"))).toBe("mirror/app1:1");
    expect(shardKey(parseReference("127.0.0.1:5000/mirror/app1:1"))).toBe("mirror/app1:1");
    expect(shardKey(parseReference("oci:/srv/airgap:app1"))).toBe("oci:/srv/airgap:app1");
  });
});
