import { describe, expect, it } from "vitest";
import { isAttestation } from "./attestation.ts";

const digest = `sha256:${"b".repeat(64)}`;
const entry = (extra: object) => ({
  mediaType: "application/vnd.oci.image.manifest.v1+json",
  digest,
  size: 1,
  ...extra,
});

describe("isAttestation", () => {
  it("recognizes BuildKit attestations by annotation or by the unknown/unknown platform", () => {
    expect(
      isAttestation(entry({ annotations: { "vnd.docker.reference.type": "attestation-manifest" } })),
    ).toBe(true);
    expect(isAttestation(entry({ platform: { os: "unknown", architecture: "unknown" } }))).toBe(true);
  });

  it("leaves images alone, including ones with other annotations or no platform", () => {
    expect(isAttestation(entry({ platform: { os: "linux", architecture: "arm64" } }))).toBe(false);
    expect(isAttestation(entry({ annotations: { "org.opencontainers.image.title": "x" } }))).toBe(false);
    expect(isAttestation(entry({}))).toBe(false);
  });
});
