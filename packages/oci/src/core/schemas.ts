import { z } from "zod";
import { PolyarchError } from "../errors.ts";
import { isDigest } from "./digest.ts";
import { isImageMediaType, isIndexMediaType, MediaType } from "./media-types.ts";

// Schemas for what registries send. They are lenient (unknown keys are kept and passed through
// untouched) because registries and builders add fields; they are strict about what polyarch relies on.

const digest = z.string().refine(isDigest, { message: "not a sha256/sha512 digest" });
const annotations = z.record(z.string(), z.string());

/** https://github.com/opencontainers/image-spec/blob/main/image-index.md (platform object) */
export const platformSchema = z.looseObject({
  architecture: z.string(),
  os: z.string(),
  "os.version": z.string().optional(),
  "os.features": z.array(z.string()).optional(),
  variant: z.string().optional(),
  features: z.array(z.string()).optional(),
});

/** https://github.com/opencontainers/image-spec/blob/main/descriptor.md */
export const descriptorSchema = z.looseObject({
  mediaType: z.string(),
  digest,
  size: z.number().int().nonnegative(),
  urls: z.array(z.string()).optional(),
  annotations: annotations.optional(),
  platform: platformSchema.optional(),
  artifactType: z.string().optional(),
});
export type Descriptor = z.infer<typeof descriptorSchema>;

/** https://github.com/opencontainers/image-spec/blob/main/manifest.md and Docker image manifest v2.2 */
export const imageManifestSchema = z.looseObject({
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  artifactType: z.string().optional(),
  config: descriptorSchema,
  layers: z.array(descriptorSchema),
  subject: descriptorSchema.optional(),
  annotations: annotations.optional(),
});
export type ImageManifest = z.infer<typeof imageManifestSchema>;

/** https://github.com/opencontainers/image-spec/blob/main/image-index.md and Docker manifest list v2.2 */
export const imageIndexSchema = z.looseObject({
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  artifactType: z.string().optional(),
  manifests: z.array(descriptorSchema),
  subject: descriptorSchema.optional(),
  annotations: annotations.optional(),
});
export type ImageIndex = z.infer<typeof imageIndexSchema>;

/** https://github.com/opencontainers/image-spec/blob/main/config.md (only what polyarch reads) */
export const imageConfigSchema = z.looseObject({
  architecture: z.string(),
  os: z.string(),
  variant: z.string().optional(),
  "os.version": z.string().optional(),
  "os.features": z.array(z.string()).optional(),
  created: z.string().optional(),
  config: z.looseObject({}).optional(),
  rootfs: z.looseObject({ type: z.string(), diff_ids: z.array(z.string()) }).optional(),
});
export type ImageConfig = z.infer<typeof imageConfigSchema>;

export type ParsedManifest =
  | { kind: "index"; mediaType: string; digest: string; bytes: Uint8Array; index: ImageIndex }
  | { kind: "image"; mediaType: string; digest: string; bytes: Uint8Array; manifest: ImageManifest };

/** `parseManifest` of a manifest as a store returns it (its bytes, digest and content type). */
export function parseFetchedManifest(manifest: {
  bytes: Uint8Array;
  digest: string;
  mediaType?: string;
}): ParsedManifest {
  return parseManifest(manifest.bytes, manifest.digest, manifest.mediaType);
}

/**
 * Parses manifest bytes into an image manifest or an index. The media type comes from the document's
 * own `mediaType`, else from the Content-Type the store reported, else from its shape.
 */
export function parseManifest(
  bytes: Uint8Array,
  digestOfBytes: string,
  contentType?: string,
): ParsedManifest {
  const json = parseJson(bytes, `manifest ${digestOfBytes}`);
  const declared =
    typeof json === "object" && json !== null && "mediaType" in json ? json.mediaType : undefined;
  let mediaType = typeof declared === "string" ? declared : contentType?.split(";")[0]?.trim();
  if (!isIndexMediaType(mediaType) && !isImageMediaType(mediaType)) {
    const shape = json as Record<string, unknown>;
    if (Array.isArray(shape.manifests)) mediaType = MediaType.OciIndex;
    else if (shape.config !== undefined) mediaType = MediaType.OciManifest;
    else {
      throw new PolyarchError(
        "POLYARCH_E_UNSUPPORTED_MANIFEST",
        `manifest ${digestOfBytes} has media type "${mediaType ?? "unknown"}", which polyarch does not read`,
        {
          hint: "polyarch reads OCI image manifests and indexes, Docker v2 schema 2 manifests and manifest lists",
        },
      );
    }
  }
  const resolved = mediaType as string;
  if (isIndexMediaType(resolved)) {
    return {
      kind: "index",
      mediaType: resolved,
      digest: digestOfBytes,
      bytes,
      index: validate(imageIndexSchema, json, `index ${digestOfBytes}`),
    };
  }
  return {
    kind: "image",
    mediaType: resolved,
    digest: digestOfBytes,
    bytes,
    manifest: validate(imageManifestSchema, json, `manifest ${digestOfBytes}`),
  };
}

export function parseImageConfig(bytes: Uint8Array, what: string): ImageConfig {
  return validate(imageConfigSchema, parseJson(bytes, what), what);
}

function parseJson(bytes: Uint8Array, what: string): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (error: unknown) {
    throw new PolyarchError("POLYARCH_E_BAD_MANIFEST", `${what} is not valid JSON`, { cause: error });
  }
}

function validate<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (!result.success) {
    const problems = result.error.issues.map(
      (issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`,
    );
    throw new PolyarchError(
      "POLYARCH_E_BAD_MANIFEST",
      `${what} does not follow the spec: ${problems.join("; ")}`,
      {
        hint: "the registry holds a malformed document; re-push the image",
      },
    );
  }
  return result.data;
}

/** JSON bytes as registries expect them: no extra whitespace, keys in the order given. */
export function encodeJson(value: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(value));
}

/** The `mediaType` a manifest declares inside itself, if any. */
export function declaredMediaType(bytes: Uint8Array): string | undefined {
  try {
    const parsed = JSON.parse(new TextDecoder().decode(bytes)) as { mediaType?: unknown };
    return typeof parsed.mediaType === "string" ? parsed.mediaType : undefined;
  } catch {
    return undefined;
  }
}
