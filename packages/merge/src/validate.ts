import { PolyarchError } from "@polyarch/errors";
import { formatReference, type ImageReference, isValidTag, parseReference } from "@polyarch/oci";
import type { MergeRequest } from "./request.ts";

/**
 * The target of a merge from what the user wrote (`--target`, a spec's `image:`): a tag, never a digest,
 * since the index is pushed under a tag. Exit 2 when there is none, or it is not a tag.
 */
export function mergeTarget(text: string | undefined): ImageReference & { tag: string } {
  if (!text) {
    throw new PolyarchError("POLYARCH_E_NO_TARGET", "no target was named", {
      hint: "give --target REGISTRY/REPO:TAG (or image: in the spec)",
    });
  }
  const target = parseReference(text);
  checkTarget(target);
  return target;
}

/**
 * The rules every merge request follows, whoever made it (the CLI, a spec, a program calling `merge()`):
 * at least one source, a target that is a tag, and valid extra tags. `merge()` checks them before it
 * reads anything; every problem is bad input (exit 2).
 */
export function checkMergeRequest(request: MergeRequest): void {
  if (request.sources.length === 0) throw noSources();
  checkTarget(request.target);
  const badTag = request.tags.find((tag) => !isValidTag(tag));
  if (badTag !== undefined) throw badTagError(badTag);
}

/** No source image was named. */
export function noSources(): PolyarchError {
  return new PolyarchError("POLYARCH_E_NO_SOURCES", "no source images were named", {
    hint: "name them as arguments (REF or REF=os/arch), or use --platforms with --template, or --spec FILE",
  });
}

function checkTarget(target: ImageReference): asserts target is ImageReference & { tag: string } {
  if (target.digest !== undefined || target.tag === undefined) {
    throw new PolyarchError(
      "POLYARCH_E_BAD_TARGET",
      `the target ${formatReference(target)} must be a tag, not a digest`,
      { hint: "an index is pushed under a tag; its digest is printed when it is pushed" },
    );
  }
  if (!isValidTag(target.tag)) throw badTagError(target.tag);
}

function badTagError(tag: string): PolyarchError {
  return new PolyarchError("POLYARCH_E_BAD_TAG", `"${tag}" is not a valid tag`, {
    hint: "tags are letters, digits, _ . and -, at most 128 characters, not starting with . or -",
  });
}
