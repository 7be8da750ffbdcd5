import { type ImageReference, parseReference } from "@polyarch/oci";

/**
 * Parses a reference keeping only the tag that is written: `parseReference` reads `alpine` as
 * `alpine:latest`, right for an image to read, but a mirror target or a repository to list tags of
 * written without a tag means "no tag" (the source's tag, or every selected tag).
 */
export function parseWrittenReference(text: string): ImageReference {
  const reference = parseReference(text);
  if (reference.kind === "registry" && !hasWrittenTag(text)) delete reference.tag;
  return reference;
}

/** True when a registry reference's text has a `:tag` after its last slash. */
export function hasWrittenTag(text: string): boolean {
  const name = text.split("@")[0] ?? "";
  return name.slice(name.lastIndexOf("/") + 1).includes(":");
}
