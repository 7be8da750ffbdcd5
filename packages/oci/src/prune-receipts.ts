import { PolyarchError } from "@polyarch/errors";
import { isReceiptTag } from "./core/receipt.ts";
import { planReceiptPrune, type TaggedDigest } from "./core/receipt-prune.ts";
import type { DeleteOutcome, ImageStore } from "./store.ts";

export interface DeletingStore extends ImageStore {
  deleteManifest(reference: string): Promise<DeleteOutcome>;
}

export interface ReceiptCount {
  /** Receipt tags the repository holds after pruning. */
  held: number;
  pruned: number;
  /** Stale receipts left: the registry refused deletes, or a tag still names their digest. */
  staleKept: number;
  /** "refused" when the registry does not allow deletes (distribution: storage.delete.enabled). */
  deletes: "allowed" | "refused";
}

/**
 * Deletes the stale receipts of `store` (see planReceiptPrune): by tag where the registry supports it,
 * else by digest when only receipts name it. Reads the tag list and HEADs every tag: deleting by digest
 * removes every tag on that digest, so each one must be known. A list naming a tag that is not there
 * (damaged in transit, or changed meanwhile) stops the pruning before anything is deleted.
 */
export async function pruneReceipts(store: DeletingStore): Promise<ReceiptCount> {
  const tags = await store.listTags();
  const receipts = tags.filter(isReceiptTag);
  if (receipts.length === 0) return { held: 0, pruned: 0, staleKept: 0, deletes: "allowed" };
  const heads = await Promise.all(
    tags.map(async (tag) => ({ tag, digest: (await store.headManifest(tag))?.digest })),
  );
  const missing = heads.filter((head) => head.digest === undefined).map((head) => head.tag);
  if (missing.length > 0) {
    throw new PolyarchError(
      "POLYARCH_E_REGISTRY",
      `${store.name} lists tags it does not have (${missing.slice(0, 3).join(", ")}); no receipt was pruned`,
      { hint: "the next run that writes a tag prunes them" },
    );
  }
  const { stale } = planReceiptPrune(heads as TaggedDigest[]);
  let deletes: ReceiptCount["deletes"] = "allowed";
  for (const receipt of stale) {
    let outcome = await store.deleteManifest(receipt.tag);
    if (outcome === "unsupported" && receipt.byDigest) outcome = await store.deleteManifest(receipt.digest);
    if (outcome === "refused") {
      deletes = "refused";
      break;
    }
  }
  // Counted from the registry: a digest deleted for one receipt takes the other receipts naming it along.
  const left = new Set((await store.listTags()).filter(isReceiptTag));
  return {
    held: left.size,
    pruned: receipts.filter((tag) => !left.has(tag)).length,
    staleKept: stale.filter((receipt) => left.has(receipt.tag)).length,
    deletes,
  };
}
