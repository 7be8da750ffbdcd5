import { type Platform, parsePlatform, parseReference } from "@polyarch/oci";
import { parseSpecText, type SpecProblem, strictObject, validateSpecText } from "@polyarch/spec";
import { z } from "zod";
import type { SourceSpec } from "./request.ts";
import { refuseDuplicateSources } from "./sources.ts";

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
 * Scalars are read as text, as manifest-tool's Go structs read them (`architecture: 386` is "386").
 * Unlike manifest-tool, which ignores them, an unknown key is an error that names it and the closest
 * valid key.
 */
export interface MergeSpec {
  image: string;
  tags: string[];
  annotations: Record<string, string>;
  sources: SourceSpec[];
  /** With ignoreUnknownKeys: the unknown keys, as `path: message`. */
  ignored: string[];
}

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
  tags: z.array(z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
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

/** The same shape, dropping unknown keys (manifest-tool's Go YAML decoding does). */
const laxSpecSchema = z.object({
  ...specSchema.shape,
  manifests: z
    .array(z.object({ image: z.string().min(1), platform: z.object(platformSchema.shape).optional() }))
    .min(1, "list at least one source image with its platform"),
}) as unknown as typeof specSchema;

function isUnknownKey(problem: SpecProblem): boolean {
  return problem.message.startsWith("unknown key");
}

/**
 * Reads the spec. With `ignoreUnknownKeys` (manifest-tool's behaviour), unknown keys are listed in
 * `ignored` instead of refusing the file; every other problem still refuses it.
 */
export function parseMergeSpec(
  text: string,
  file: string,
  options: { ignoreUnknownKeys?: boolean } = {},
): MergeSpec {
  const ignored: string[] = [];
  if (options.ignoreUnknownKeys) {
    const strict = validateSpecText(text, specSchema, undefined, { scalarsAsText: true });
    if (!strict.ok) {
      for (const problem of strict.problems.filter(isUnknownKey))
        ignored.push(`${problem.path}: ${problem.message}`);
    }
  }
  const raw = parseSpecText(text, file, ignored.length > 0 ? laxSpecSchema : specSchema, {
    hint: "see `polyarch merge --help` for the spec format (manifest-tool's from-spec YAML); manifest-tool would have ignored an unknown key, polyarch refuses it so a typo is not silently dropped",
    check: checkSpec,
    scalarsAsText: true,
  });
  const sources = raw.manifests.map((entry): SourceSpec => {
    const reference = parseReference(entry.image);
    return entry.platform
      ? {
          text: entry.image,
          reference,
          platform: toPlatform(entry.platform),
          written: asWritten(entry.platform),
        }
      : { text: entry.image, reference };
  });
  refuseDuplicateSources(sources);
  // Stated platforms alone may repeat (two windows/amd64 entries told apart by their configs' OS
  // versions): the plan checks the platforms the index will hold.
  return { image: raw.image, tags: raw.tags ?? [], annotations: raw.annotations ?? {}, sources, ignored };
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

/** The platform exactly as the spec states it, for manifest-tool's rules. */
function asWritten(raw: z.infer<typeof platformSchema>): Platform {
  const features = raw.osfeatures ?? raw.features;
  return {
    os: raw.os,
    architecture: raw.architecture,
    ...(raw.variant && { variant: raw.variant }),
    ...(raw.osversion && { "os.version": raw.osversion }),
    ...(features && { "os.features": features }),
  };
}

function toPlatform(raw: z.infer<typeof platformSchema>): Platform {
  const platform = parsePlatform(`${raw.os}/${raw.architecture}${raw.variant ? `/${raw.variant}` : ""}`);
  if (raw.osversion) platform["os.version"] = raw.osversion;
  const features = raw.osfeatures ?? raw.features;
  if (features) platform["os.features"] = features;
  return platform;
}
