import { type Platform, parsePlatform, parseReference } from "@polyarch/oci";
import { parseSpecText, type SpecProblem, strictObject } from "@polyarch/spec";
import { z } from "zod";
import type { SourceSpec } from "./request.ts";
import { refuseDuplicatePlatforms, refuseDuplicateSources } from "./sources.ts";

/**
 * manifest-tool's `push from-spec` YAML (https://github.com/estesp/manifest-tool#from-spec):
 *
 *   image: registry.example.com/app:1.4
 *   tags: [latest]
 *   annotations: { org.opencontainers.image.source: https://… }
 *   manifests:
 *     - image: registry.example.com/app:1.4-amd64
 *       platform: { architecture: amd64, os: linux }
 *
 * Unlike manifest-tool, an unknown key is an error that names it and the closest valid key.
 */
export interface MergeSpec {
  image: string;
  tags: string[];
  annotations: Record<string, string>;
  sources: SourceSpec[];
}

const scalar = z.union([z.string(), z.number(), z.boolean()]).transform(String);

/** The platform keys as manifest-tool's YAML spells the OCI platform's fields. */
const platformSchema = strictObject({
  architecture: z.string(),
  os: z.string(),
  variant: z.string().optional(),
  osversion: z.string().optional(),
  osfeatures: z.array(z.string()).optional(),
  features: z.array(z.string()).optional(),
});

const specSchema = strictObject({
  image: z.string().min(1, "name the target image (e.g. image: registry.example.com/app:1.4)"),
  tags: z.array(scalar).optional(),
  annotations: z.record(z.string(), scalar).optional(),
  manifests: z
    .array(
      strictObject({
        image: z.string().min(1, "name the source image"),
        platform: platformSchema.optional(),
      }),
    )
    .min(1, "list at least one source image with its platform"),
});

type RawSpec = z.infer<typeof specSchema>;

export function parseMergeSpec(text: string, file: string): MergeSpec {
  const raw = parseSpecText(text, file, specSchema, {
    hint: "see `polyarch merge --help` for the spec format (manifest-tool's from-spec YAML)",
    check: checkSpec,
  });
  const sources = raw.manifests.map((entry): SourceSpec => {
    const reference = parseReference(entry.image);
    return entry.platform
      ? { text: entry.image, reference, platform: toPlatform(entry.platform) }
      : { text: entry.image, reference };
  });
  refuseDuplicateSources(sources);
  refuseDuplicatePlatforms(sources);
  return { image: raw.image, tags: raw.tags ?? [], annotations: raw.annotations ?? {}, sources };
}

/** References and platforms, checked once the shape is right, so every bad one is reported together. */
function checkSpec(spec: RawSpec): SpecProblem[] {
  const problems: SpecProblem[] = [];
  const attempt = (path: string, run: () => unknown) => {
    try {
      run();
    } catch (error: unknown) {
      problems.push({ path, message: (error as Error).message });
    }
  };
  attempt("image", () => parseReference(spec.image));
  spec.manifests.forEach((entry, i) => {
    attempt(`manifests[${i}].image`, () => parseReference(entry.image));
    const { platform } = entry;
    if (platform) attempt(`manifests[${i}].platform`, () => toPlatform(platform));
  });
  return problems;
}

function toPlatform(raw: z.infer<typeof platformSchema>): Platform {
  const platform = parsePlatform(`${raw.os}/${raw.architecture}${raw.variant ? `/${raw.variant}` : ""}`);
  if (raw.osversion) platform["os.version"] = raw.osversion;
  const features = raw.osfeatures ?? raw.features;
  if (features) platform["os.features"] = features;
  return platform;
}
