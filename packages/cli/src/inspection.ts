import { PolyarchError } from "@polyarch/errors";
import {
  type Descriptor,
  formatPlatform,
  type ImageStore,
  isAttestation,
  type Platform,
  parseFetchedManifest,
  parseImageConfig,
  platformName,
  platformsEqual,
  readBlob,
  selectChild,
} from "@polyarch/oci";
import { formatSize } from "./format.ts";

export interface IndexEntry {
  platform: string;
  digest: string;
  size: number;
  mediaType: string;
  /** Set for attestation manifests: the digest of the image they describe. */
  attests?: string;
}

export type Inspection =
  | {
      kind: "index";
      reference: string;
      digest: string;
      mediaType: string;
      size: number;
      manifests: IndexEntry[];
      raw: Uint8Array;
    }
  | {
      kind: "image";
      reference: string;
      digest: string;
      mediaType: string;
      size: number;
      platform: string;
      config: { digest: string; size: number; mediaType: string };
      layers: Array<{ digest: string; size: number; mediaType: string }>;
      raw: Uint8Array;
      /** The config blob as stored. */
      configRaw: Uint8Array;
    };

/**
 * Reads an image or index from a store and describes it; with `wanted`, the matching child of an
 * index. `polyarch inspect` prints it, and the demo prints the index it merged.
 */
export async function readInspection(
  store: ImageStore,
  name: string,
  pointer: string,
  wanted?: Platform,
): Promise<Inspection> {
  const fetched = await store.getManifest(pointer);
  const parsed = parseFetchedManifest(fetched);
  const common = {
    reference: name,
    digest: parsed.digest,
    mediaType: parsed.mediaType,
    size: fetched.bytes.length,
    raw: fetched.bytes,
  };
  if (parsed.kind === "index") {
    if (wanted) {
      const child = selectChild(parsed.index.manifests, wanted, "exactly");
      if (!child) {
        const available = parsed.index.manifests
          .filter((m) => !isAttestation(m))
          .map((m) => platformName(m.platform));
        throw new PolyarchError(
          "POLYARCH_E_PLATFORM_NOT_FOUND",
          `${name} has no image for ${formatPlatform(wanted)}`,
          {
            hint: `it holds ${available.join(", ") || "no platform images"}`,
          },
        );
      }
      return readInspection(store, `${name}@${child.digest}`, child.digest);
    }
    return { kind: "index", ...common, manifests: parsed.index.manifests.map(entryOf) };
  }
  const { config, layers } = parsed.manifest;
  const configBytes = await readBlob(store, config);
  const imageConfig = parseImageConfig(configBytes, `config ${config.digest} of ${name}`);
  if (wanted && !platformsEqual(wanted, imageConfig)) {
    throw new PolyarchError(
      "POLYARCH_E_PLATFORM_NOT_FOUND",
      `${name} is a single ${formatPlatform(imageConfig)} image, not ${formatPlatform(wanted)}`,
      {
        hint: "drop --platform, or inspect the multi-arch index instead",
      },
    );
  }
  return {
    kind: "image",
    ...common,
    platform: formatPlatform(imageConfig),
    config: { digest: config.digest, size: config.size, mediaType: config.mediaType },
    layers: layers.map((l) => ({ digest: l.digest, size: l.size, mediaType: l.mediaType })),
    configRaw: configBytes,
  };
}

/**
 * manifest-tool's `inspect --raw --expand-config`: an image's manifest with its config document in
 * place of the config descriptor, named and with its os and architecture; an index as stored.
 */
export function expandConfig(inspection: Inspection): string {
  if (inspection.kind === "index") return new TextDecoder().decode(inspection.raw);
  const decode = (bytes: Uint8Array) =>
    JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
  const config = decode(inspection.configRaw);
  const { config: _descriptor, ...manifest } = decode(inspection.raw);
  const expanded = {
    name: inspection.reference,
    digest: inspection.digest,
    os: config.os,
    architecture: config.architecture,
    ...manifest,
    config,
  };
  return `${JSON.stringify(expanded, null, 2)}\n`;
}

function entryOf(descriptor: Descriptor): IndexEntry {
  const attests = isAttestation(descriptor)
    ? descriptor.annotations?.["vnd.docker.reference.digest"]
    : undefined;
  return {
    platform: platformName(descriptor.platform),
    digest: descriptor.digest,
    size: descriptor.size,
    mediaType: descriptor.mediaType,
    ...(attests !== undefined && { attests }),
  };
}

const MEDIA_TYPE_NAMES: Record<string, string> = {
  "application/vnd.oci.image.index.v1+json": "OCI image index",
  "application/vnd.oci.image.manifest.v1+json": "OCI image manifest",
  "application/vnd.docker.distribution.manifest.list.v2+json": "Docker manifest list",
  "application/vnd.docker.distribution.manifest.v2+json": "Docker image manifest",
};

/** The human tree `polyarch inspect` prints. */
export function renderTree(inspection: Inspection): string {
  const kind = MEDIA_TYPE_NAMES[inspection.mediaType] ?? inspection.mediaType;
  const lines = [`${inspection.reference}`, `${inspection.digest} (${kind}, ${formatSize(inspection.size)})`];
  if (inspection.kind === "index") {
    const width = Math.max(...inspection.manifests.map((m) => m.platform.length), 8);
    inspection.manifests.forEach((m, i) => {
      const branch = i === inspection.manifests.length - 1 ? "└──" : "├──";
      const note = m.attests ? `  attestation for ${m.attests}` : "";
      lines.push(`${branch} ${m.platform.padEnd(width)}  ${m.digest}  ${formatSize(m.size)}${note}`);
    });
    if (inspection.manifests.length === 0) lines.push("└── (no manifests)");
    return `${lines.join("\n")}\n`;
  }
  lines.push(`├── platform  ${inspection.platform}`);
  lines.push(`├── config    ${inspection.config.digest}  ${formatSize(inspection.config.size)}`);
  lines.push(
    `└── layers    ${inspection.layers.length}, ${formatSize(inspection.layers.reduce((n, l) => n + l.size, 0))}`,
  );
  inspection.layers.forEach((l, i) => {
    lines.push(
      `    ${i === inspection.layers.length - 1 ? "└──" : "├──"} ${l.digest}  ${formatSize(l.size)}`,
    );
  });
  return `${lines.join("\n")}\n`;
}

/** The `--json` form: everything but the raw bytes. */
export function toJson(inspection: Inspection): string {
  const { raw: _raw, ...rest } = inspection;
  if ("configRaw" in rest) delete (rest as { configRaw?: unknown }).configRaw;
  return `${JSON.stringify(rest, null, 2)}\n`;
}
