import { fakeStore } from "@polyarch/test-harness";
import { describe, expect, it } from "vitest";
import { pruneReceipts } from "./prune-receipts.ts";

const digest = (n: number) => `sha256:${String(n).repeat(64)}`;

/** A repository as a map of tag → digest; deletes by digest only, like distribution 2.8. */
function repository(tags: Record<string, string>, listed?: string[]) {
  const deleted: string[] = [];
  const store = {
    ...fakeStore("registry.example/helper", {
      listTags: async () => listed ?? Object.keys(tags),
      headManifest: async (tag: string) =>
        tags[tag] === undefined ? undefined : { digest: tags[tag] as string, mediaType: "x", size: 1 },
    }),
    deleteManifest: async (reference: string) => {
      if (!reference.startsWith("sha256:")) return "unsupported" as const;
      deleted.push(reference);
      for (const [tag, d] of Object.entries(tags)) if (d === reference) delete tags[tag];
      return "deleted" as const;
    },
  };
  return { store, deleted, tags };
}

describe("pruneReceipts", () => {
  it("deletes a stale receipt by digest when only receipts name it, and counts what is left", async () => {
    const repo = repository({
      v1: digest(2),
      "v1.polyarch-aaaaaaaaaaaa": digest(1),
      "v1.polyarch-bbbbbbbbbbbb": digest(2),
    });
    expect(await pruneReceipts(repo.store)).toEqual({ held: 1, pruned: 1, staleKept: 0, deletes: "allowed" });
    expect(repo.deleted).toEqual([digest(1)]);
    expect(Object.keys(repo.tags)).toEqual(["v1", "v1.polyarch-bbbbbbbbbbbb"]);
  });

  it("deletes nothing when the tag list names a tag that is not there (a damaged or changing list)", async () => {
    // The list came back with v1 misspelt: without knowing v1, the current receipt would look stale and
    // deleting its digest would take v1 along.
    const repo = repository({ v1: digest(2), "v1.polyarch-bbbbbbbbbbbb": digest(2) }, [
      "v\u00f11",
      "v1.polyarch-bbbbbbbbbbbb",
    ]);
    await expect(pruneReceipts(repo.store)).rejects.toMatchObject({ code: "POLYARCH_E_REGISTRY" });
    expect(repo.deleted).toEqual([]);
  });
});
