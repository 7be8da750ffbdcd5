import type { Descriptor } from "./schemas.ts";

/**
 * True for an index entry that is an attestation (BuildKit's provenance and SBOM manifests), not an
 * image: annotated `vnd.docker.reference.type: attestation-manifest`, or with platform unknown/unknown.
 * https://docs.docker.com/build/metadata/attestations/attestation-storage/
 */
export function isAttestation(descriptor: Descriptor): boolean {
  return (
    descriptor.annotations?.["vnd.docker.reference.type"] === "attestation-manifest" ||
    (descriptor.platform?.os === "unknown" && descriptor.platform.architecture === "unknown")
  );
}
