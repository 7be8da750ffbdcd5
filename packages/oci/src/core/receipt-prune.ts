import { isReceiptTag } from "./receipt.ts";

/** A tag and the digest it names. */
export interface TaggedDigest {
  tag: string;
  digest: string;
}

export interface StaleReceipt extends TaggedDigest {
  /**
   * True when no other tag than receipts names the digest, so deleting the manifest by digest (all a
   * registry without tag deletion offers) removes only receipts.
   */
  byDigest: boolean;
}

/**
 * Which receipts no longer stand for their tag: `<tag>.polyarch-<hex>` whose `<tag>` names another
 * digest (or is gone), and `polyarch-<hex>` receipts (too long to carry their tag) whose digest no tag
 * names. A current receipt is kept; so is every tag that is not a receipt.
 */
export function planReceiptPrune(tags: readonly TaggedDigest[]): { receipts: number; stale: StaleReceipt[] } {
  const plain = new Map(tags.filter((t) => !isReceiptTag(t.tag)).map((t) => [t.tag, t.digest]));
  const named = new Set(plain.values());
  const receipts = tags.filter((t) => isReceiptTag(t.tag));
  const stale = receipts
    .filter(({ tag, digest }) => {
      const base = /^(.+)\.polyarch-[a-f0-9]{12,40}$/.exec(tag)?.[1];
      return base === undefined ? !named.has(digest) : plain.get(base) !== digest;
    })
    .map((receipt) => ({ ...receipt, byDigest: !named.has(receipt.digest) }));
  return { receipts: receipts.length, stale };
}

/** A store that can delete a manifest by tag or digest (a registry with deletes enabled, a layout). */
