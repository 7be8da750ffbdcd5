/**
 * What writing a tag did, in every report that writes one (merge, mirror, sync, helper refresh, build):
 * `created` where the tag did not exist, `updated` where it named other content, `unchanged` where it
 * already named this content, so nothing was written.
 */
export type TagWrite = "created" | "updated" | "unchanged";

/** The tag write that puts `digest` under a tag whose current target is `current` (undefined: no tag). */
export function tagWrite(current: { digest: string } | undefined, digest: string): TagWrite {
  if (current === undefined) return "created";
  return current.digest === digest ? "unchanged" : "updated";
}
