import { isPolyarchError } from "@polyarch/errors";
import {
  formatReference,
  hasWrittenTag,
  type ImageReference,
  type Platform,
  parsePlatform,
  parseReference,
  parseWrittenReference,
} from "@polyarch/oci";
import { parseSpecText, type SpecProblem, strictObject } from "@polyarch/spec";
import { closest } from "fastest-levenshtein";
import semver from "semver";
import { z } from "zod";
import { anchored, type TagFilter } from "./tags.ts";

/**
 * A sync spec: many images mirrored declaratively.
 *
 *   concurrency: 4                     # images copied at once
 *   registries:
 *     docker.io: { concurrency: 2, slowDownAt: 20 }
 *   defaults:                          # for images that do not say
 *     platforms: [linux/amd64, linux/arm64]
 *     referrerFilters: [{ artifactType: application/spdx+json }]
 *   images:
 *     - source: docker.io/library/alpine
 *       target: registry.example.com/mirror/alpine
 *       tags: { allow: ['3\.\d+'], deny: ['3\.1\d'], semver: '>=3.19', latest: 3 }
 *     - source: ghcr.io/org/tool:1.4
 *       target: oci:/srv/airgap
 *       referrerFilters: [{ artifactType: application/spdx+json }]   # or referrers: false
 */
export interface SyncSpec {
  /** Images copied at once. @default 4 */
  concurrency: number;
  registries: Record<string, RegistrySettings>;
  images: SyncImage[];
}

export interface RegistrySettings {
  /** Images at once that read from or write to this registry. @default the spec's concurrency */
  concurrency?: number;
  /** Copy one image at a time from this registry once `ratelimit-remaining` is at or below this. @default 10 */
  slowDownAt?: number;
}

export interface SyncImage {
  /** Position in the spec's `images`, for messages. */
  index: number;
  /** With `tags`: a repository (no tag); otherwise one image (`:latest` when no tag or digest is written). */
  source: ImageReference;
  /** A repository, or (for a single source image) a repository with the tag to store it under. */
  target: ImageReference;
  tags?: TagFilter;
  platforms?: Platform[];
  /** False: leave referrers and cosign's digest tags behind. @default true */
  referrers?: boolean;
  /** From `referrerFilters[].artifactType`: carry only OCI referrers of these types. @default every type */
  artifactTypes?: string[];
}

export const DEFAULT_CONCURRENCY = 4;
export const DEFAULT_SLOW_DOWN_AT = 10;

const referenceText = z.string().superRefine((text, context) => {
  try {
    parseReference(text);
  } catch (error: unknown) {
    context.addIssue({ code: "custom", message: isPolyarchError(error) ? error.message : String(error) });
  }
});

const platformText = z.string().superRefine((text, context) => {
  try {
    parsePlatform(text);
  } catch {
    context.addIssue({
      code: "custom",
      message: `${JSON.stringify(text)} is not a platform; write os/arch[/variant], e.g. linux/arm64`,
    });
  }
});

const regexText = z.string().superRefine((text, context) => {
  try {
    anchored(text);
  } catch (error: unknown) {
    context.addIssue({
      code: "custom",
      message: `"${text}" is not a regular expression: ${(error as Error).message}`,
    });
  }
});

const rangeText = z.string().refine((text) => semver.validRange(text) !== null, {
  error: (issue) => `${JSON.stringify(issue.input)} is not a semver range; write e.g. ">=3.19 <4" or "^1.2"`,
});

const count = (what: string) =>
  z
    .int({ error: (issue) => (issue.input === undefined ? undefined : `must be a whole number of ${what}`) })
    .min(1, {
      error: `must be at least 1 ${what.replace(/s$/, "")}`,
    });

const platformList = z
  .array(platformText)
  .min(1, { error: "list at least one platform, or leave the key out" });

const tagFilterSchema = strictObject({
  allow: z.array(regexText).min(1, { error: "list at least one pattern, or leave the key out" }).optional(),
  deny: z.array(regexText).optional(),
  semver: rangeText.optional(),
  latest: count("tags").optional(),
});

/** As regsync's `referrerFilters`: each entry keeps the referrers of one artifact type. */
const referrerFilterSchema = strictObject({
  artifactType: z.string().regex(/^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/i, {
    error: "must be a media type, e.g. application/spdx+json",
  }),
});

/** What an image and `defaults` may say; an image's own value wins. */
const inheritedKeys = {
  platforms: platformList.optional(),
  referrers: z.boolean().optional(),
  referrerFilters: z
    .array(referrerFilterSchema)
    .min(1, { error: "list at least one filter, or leave the key out" })
    .optional(),
};

const imageSchema = strictObject({
  source: referenceText,
  target: referenceText,
  tags: tagFilterSchema.optional(),
  ...inheritedKeys,
});

export const syncSpecSchema = strictObject({
  concurrency: count("images").max(64).optional(),
  registries: z
    .record(
      z.string(),
      strictObject({
        concurrency: count("images").max(64).optional(),
        slowDownAt: z.int().min(0).optional(),
      }),
    )
    .optional(),
  defaults: strictObject(inheritedKeys).optional(),
  images: z.array(imageSchema).min(1, { error: "list at least one image to mirror" }),
});

type RawSpec = z.infer<typeof syncSpecSchema>;

/** Reads a sync spec, reporting every problem with its path (POLYARCH_E_BAD_SPEC, exit 2). */
export function parseSyncSpec(text: string, file: string): SyncSpec {
  const raw = parseSpecText(text, file, syncSpecSchema, {
    hint: "see packages/mirror/README.md for the sync spec format",
    check: checkSpec,
  });
  const defaults = raw.defaults ?? {};
  return {
    concurrency: raw.concurrency ?? DEFAULT_CONCURRENCY,
    registries: raw.registries ?? {},
    images: raw.images.map((image, index) => {
      const platforms = image.platforms ?? defaults.platforms;
      const referrers = image.referrers ?? defaults.referrers;
      const referrerFilters =
        referrers === false ? undefined : (image.referrerFilters ?? defaults.referrerFilters);
      return {
        index,
        source: image.tags === undefined ? parseReference(image.source) : parseWrittenReference(image.source),
        target: parseWrittenReference(image.target),
        ...(image.tags && {
          tags: {
            ...(image.tags.allow && { allow: image.tags.allow.map(anchored) }),
            ...(image.tags.deny && { deny: image.tags.deny.map(anchored) }),
            ...(image.tags.semver !== undefined && { semver: image.tags.semver }),
            ...(image.tags.latest !== undefined && { latest: image.tags.latest }),
          },
        }),
        ...(platforms && { platforms: platforms.map(parsePlatform) }),
        ...(referrers !== undefined && { referrers }),
        ...(referrerFilters && { artifactTypes: referrerFilters.map((f) => f.artifactType) }),
      };
    }),
  };
}

/** `referrers: false` beside `referrerFilters` in one place: the filters would do nothing. */
function filtersBesideOff(
  keys: Pick<RawSpec["images"][number], "referrers" | "referrerFilters">,
  at: (key: string) => string,
): SpecProblem[] {
  if (keys.referrers !== false || keys.referrerFilters === undefined) return [];
  return [
    {
      path: at("referrerFilters"),
      message: "filters referrers, but referrers: false leaves them all behind; drop one of the two",
    },
  ];
}

function hasTagOrDigest(text: string): boolean {
  const reference = parseReference(text);
  if (reference.kind === "layout") return reference.tag !== undefined || reference.digest !== undefined;
  return reference.digest !== undefined || hasWrittenTag(text);
}

/** Rules across keys: tag filters need a repository, targets of filtered repositories take no tag. */
function checkSpec(spec: RawSpec): SpecProblem[] {
  const problems: SpecProblem[] = [];
  const hosts = new Set<string>();
  spec.images.forEach((image, index) => {
    const at = (key: string) => `images[${index}].${key}`;
    const source = parseReference(image.source);
    const target = parseReference(image.target);
    if (source.kind === "registry") hosts.add(source.registry);
    if (target.kind === "registry") hosts.add(target.registry);
    if (image.tags !== undefined && hasTagOrDigest(image.source)) {
      problems.push({
        path: at("tags"),
        message: `filters the tags of a repository, but source ${image.source} names one image; drop its tag or digest, or drop tags`,
      });
    }
    if (
      image.referrerFilters !== undefined &&
      image.referrers === undefined &&
      spec.defaults?.referrers === false
    ) {
      problems.push({
        path: at("referrerFilters"),
        message:
          "filters referrers, but defaults.referrers: false leaves them all behind; add referrers: true to this image, or drop its filters",
      });
    }
    problems.push(...filtersBesideOff(image, at));
    if (target.digest !== undefined) {
      problems.push({
        path: at("target"),
        message: "names a digest; name a repository (the digest is the source's)",
      });
    } else if (image.tags !== undefined && hasTagOrDigest(image.target)) {
      problems.push({
        path: at("target"),
        message: `names a tag, but every selected tag of ${image.source} keeps its own; name the repository only`,
      });
    } else if (
      target.kind === "layout" &&
      target.tag === undefined &&
      image.tags === undefined &&
      source.digest !== undefined &&
      !hasWrittenTag(image.source)
    ) {
      problems.push({
        path: at("target"),
        message: `${formatReference(source)} has no tag, so the layout target needs one: oci:<dir>:<tag>`,
      });
    }
  });
  if (spec.defaults) problems.push(...filtersBesideOff(spec.defaults, (key) => `defaults.${key}`));
  for (const host of Object.keys(spec.registries ?? {})) {
    if (!hosts.has(host)) {
      const suggestion = hosts.size > 0 ? `; did you mean "${closest(host, [...hosts])}"?` : "";
      problems.push({
        path: `registries[${JSON.stringify(host)}]`,
        message: `no image is read from or written to this registry${suggestion}`,
      });
    }
  }
  return problems;
}
