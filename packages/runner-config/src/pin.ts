import { PolyarchError } from "@polyarch/errors";
import type { Fleet } from "./schema.ts";
import { isPinned } from "./warnings.ts";

/** Looks up the manifest digest (`sha256:…`) that `reference` points to now, in its registry. */
export type ResolveDigest = (reference: string) => Promise<string>;

/**
 * The fleet with its helper image pinned by digest (`…:tag@sha256:…`, keeping the tag for people to read).
 * An image that is already pinned is left as it is; nothing else changes.
 */
export async function pinHelperImage(fleet: Fleet, resolveDigest: ResolveDigest): Promise<Fleet> {
  const reference = fleet.helper_image;
  if (reference === undefined || isPinned(reference)) return fleet;
  const digest = await resolveDigest(reference);
  if (!/^sha256:[a-f0-9]{64}$/.test(digest))
    throw new PolyarchError(
      "POLYARCH_E_REGISTRY",
      `resolving ${reference} returned ${JSON.stringify(digest.slice(0, 80))}, which is not a sha256 digest`,
      { hint: "check that the registry serves an OCI or Docker manifest for this reference" },
    );
  return { ...fleet, helper_image: `${reference}@${digest}` };
}
