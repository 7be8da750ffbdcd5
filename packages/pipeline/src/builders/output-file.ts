import { PolyarchError } from "@polyarch/errors";
import { isDigest } from "@polyarch/oci";

/** A builder's digest file, `sha256:…` with or without a newline (Buildah's `--digestfile`, Kaniko's `--digest-file`). */
export function readDigestFile(text: string, builder: string): string {
  const digest = text.trim();
  if (!isDigest(digest)) {
    throw new PolyarchError(
      "POLYARCH_E_BUILDER_OUTPUT",
      `${builder}'s digest file does not hold a digest (${JSON.stringify(digest.slice(0, 80))})`,
      { hint: "the push may not have finished; see the builder's output above" },
    );
  }
  return digest;
}
