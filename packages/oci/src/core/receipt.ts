import { createHash } from "node:crypto";
import { isValidTag } from "./reference.ts";

/**
 * Receipts make "nothing changed upstream" cost one HEAD on the target.
 *
 * When polyarch stores something the source does not hold byte for byte (an index rebuilt with fewer
 * platforms, a helper image stitched from per-architecture tags), the target's digest cannot be
 * computed from the source's HEAD alone, and reading the target's annotations would take a GET.
 * Instead, after the target tag is written, the same manifest is also tagged with a receipt tag
 * whose name carries a fingerprint of everything the result was made from (source digests and the
 * options that shape it). The next run computes the fingerprint from HEADs of the sources and HEADs
 * the receipt tag: when it exists, the result is current and its digest is the receipt's.
 */

/** A stable sha256 of a JSON value (object keys sorted), for receipt fingerprints. */
export function fingerprint(value: unknown): string {
  return `sha256:${createHash("sha256").update(canonicalJson(value)).digest("hex")}`;
}

/**
 * The receipt tag for `tag` made from `fingerprint`: `<tag>.polyarch-<12 hex>`, readable beside the tag
 * it stands for; when that would pass 128 characters, `polyarch-<40 hex>` of both.
 */
export function receiptTag(tag: string, fingerprintValue: string): string {
  const hex = fingerprintValue.replace(/^sha256:/, "");
  const readable = `${tag}.polyarch-${hex.slice(0, 12)}`;
  if (isValidTag(readable)) return readable;
  return `polyarch-${createHash("sha256").update(`${tag}\0${hex}`).digest("hex").slice(0, 40)}`;
}

/** True for tags polyarch writes as receipts, so tag filters and listings can leave them out. */
export function isReceiptTag(tag: string): boolean {
  return /(^|\.)polyarch-[a-f0-9]{12,40}$/.test(tag);
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}
