// A separate process that writes COUNT tags named PREFIX-<n> into the OCI layout DIR at once, each a
// small manifest of its own: one of the "two CI jobs sharing a cache dir" in test/oci/layout-processes.
import { encodeJson, LayoutStore, MediaType } from "@polyarch/oci";

const [dir = "", prefix = "", count = "0"] = process.argv.slice(2);
const tags = Array.from({ length: Number(count) }, (_, i) => `${prefix}-${i}`);
await Promise.all(
  tags.map((tag) =>
    new LayoutStore(dir).putManifest(
      encodeJson({ schemaVersion: 2, mediaType: MediaType.OciManifest, annotations: { tag } }),
      MediaType.OciManifest,
      tag,
    ),
  ),
);
