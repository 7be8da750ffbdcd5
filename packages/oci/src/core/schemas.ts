import { PolyarchError } from "@polyarch/errors";
import { isDigest } from "./digest.ts";
import { isImageMediaType, isIndexMediaType, MediaType } from "./media-types.ts";
import {
  arrayOf,
  type Check,
  literal,
  looseObject,
  nonNegativeInteger,
  nullish,
  optional,
  problemsOf,
  recordOf,
  refine,
  string,
} from "./shape.ts";

// The shapes of what registries send. They are lenient (unknown keys are kept and passed through
// untouched) because registries and builders add fields; they are strict about what polyarch relies on.

const digest = refine(string, isDigest, "not a sha256/sha512 digest");
const annotations = recordOf(string);
const strings = arrayOf(string);

/** https://github.com/opencontainers/image-spec/blob/main/image-index.md (platform object) */
export interface PlatformObject {
  architecture: string;
  os: string;
  "os.version"?: string;
  "os.features"?: string[];
  variant?: string;
  features?: string[];
  [key: string]: unknown;
}
const platformShape = looseObject({
  architecture: string,
  os: string,
  "os.version": optional(string),
  "os.features": optional(strings),
  variant: optional(string),
  features: optional(strings),
});

/** https://github.com/opencontainers/image-spec/blob/main/descriptor.md */
export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  urls?: string[];
  annotations?: Record<string, string>;
  platform?: PlatformObject;
  artifactType?: string;
  [key: string]: unknown;
}
const descriptorShape = looseObject({
  mediaType: string,
  digest,
  size: nonNegativeInteger,
  urls: optional(strings),
  annotations: optional(annotations),
  platform: optional(platformShape),
  artifactType: optional(string),
});

/** https://github.com/opencontainers/image-spec/blob/main/manifest.md and Docker image manifest v2.2 */
export interface ImageManifest {
  schemaVersion: 2;
  mediaType?: string;
  artifactType?: string;
  config: Descriptor;
  layers: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
  [key: string]: unknown;
}
const imageManifestShape = looseObject({
  schemaVersion: literal(2),
  mediaType: optional(string),
  artifactType: optional(string),
  config: descriptorShape,
  layers: arrayOf(descriptorShape),
  subject: optional(descriptorShape),
  annotations: optional(annotations),
});

/** https://github.com/opencontainers/image-spec/blob/main/image-index.md and Docker manifest list v2.2 */
export interface ImageIndex {
  schemaVersion: 2;
  mediaType?: string;
  artifactType?: string;
  manifests: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
  [key: string]: unknown;
}
const imageIndexShape = looseObject({
  schemaVersion: literal(2),
  mediaType: optional(string),
  artifactType: optional(string),
  manifests: arrayOf(descriptorShape),
  subject: optional(descriptorShape),
  annotations: optional(annotations),
});

/**
 * A config's `config`: how a container of the image runs
 * (https://github.com/opencontainers/image-spec/blob/main/config.md#properties; only what polyarch reads).
 * Docker and registries write `null` for an empty field; a field of the wrong type is refused.
 */
export interface ImageRuntimeConfig {
  User?: string | null;
  Env?: string[] | null;
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  WorkingDir?: string | null;
  ExposedPorts?: Record<string, unknown> | null;
  [key: string]: unknown;
}

/** https://github.com/opencontainers/image-spec/blob/main/config.md (only what polyarch reads) */
export interface ImageConfig {
  architecture: string;
  os: string;
  variant?: string;
  "os.version"?: string;
  "os.features"?: string[];
  created?: string;
  config?: ImageRuntimeConfig;
  rootfs?: { type: string; diff_ids: string[]; [key: string]: unknown };
  [key: string]: unknown;
}
const imageConfigShape = looseObject({
  architecture: string,
  os: string,
  variant: optional(string),
  "os.version": optional(string),
  "os.features": optional(strings),
  created: optional(string),
  config: optional(
    looseObject({
      User: nullish(string),
      Env: nullish(strings),
      Entrypoint: nullish(strings),
      Cmd: nullish(strings),
      WorkingDir: nullish(string),
      ExposedPorts: nullish(looseObject({})),
    }),
  ),
  rootfs: optional(looseObject({ type: string, diff_ids: strings })),
});

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
      index: validate<ImageIndex>(imageIndexShape, json, `index ${digestOfBytes}`),
    };
  }
  return {
    kind: "image",
    mediaType: resolved,
    digest: digestOfBytes,
    bytes,
    manifest: validate<ImageManifest>(imageManifestShape, json, `manifest ${digestOfBytes}`),
  };
}

export function parseImageConfig(bytes: Uint8Array, what: string): ImageConfig {
  return validate<ImageConfig>(imageConfigShape, parseJson(bytes, what), what);
}

function parseJson(bytes: Uint8Array, what: string): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (error: unknown) {
    throw new PolyarchError("POLYARCH_E_BAD_MANIFEST", `${what} is not valid JSON`, { cause: error });
  }
}

/** What keeps `value` from being an OCI image index (or Docker manifest list), as `path: problem` lines. */
export function imageIndexProblems(value: unknown): string[] {
  return describeProblems(imageIndexShape, value);
}

function describeProblems(shape: Check, value: unknown): string[] {
  return problemsOf(shape, value).map(
    (problem) => `${problem.path.join(".") || "(root)"}: ${problem.message}`,
  );
}

function validate<T>(shape: Check, value: unknown, what: string): T {
  const problems = describeProblems(shape, value);
  if (problems.length > 0) {
    throw new PolyarchError(
      "POLYARCH_E_BAD_MANIFEST",
      `${what} does not follow the spec: ${problems.join("; ")}`,
      {
        hint: "the registry holds a malformed document; re-push the image",
      },
    );
  }
  return value as T;
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
