import { type FetchedManifest, isAttestation, isIndexMediaType, parseFetchedManifest } from "@polyarch/oci";

/**
 * The digests whose referrers travel with a copy of `manifest`: each image an index lists (not its
 * attestations, which refer to an image themselves), and the manifest itself when `withTop`: a copy
 * whose index was rebuilt (a platform filter) has a new digest, and nothing refers to it.
 */
export function subjectsOf(manifest: FetchedManifest, withTop: boolean): string[] {
  const children = isIndexMediaType(manifest.mediaType) ? indexChildren(manifest) : [];
  return [...(withTop ? [manifest.digest] : []), ...children];
}

function indexChildren(manifest: FetchedManifest): string[] {
  const parsed = parseFetchedManifest(manifest);
  return parsed.kind === "index"
    ? parsed.index.manifests.filter((entry) => !isAttestation(entry)).map((entry) => entry.digest)
    : [];
}
