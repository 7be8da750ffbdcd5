import { inputError, type Platform, parsePlatform, parseReference } from "@polyarch/oci";
import { closest } from "fastest-levenshtein";
import { parse as parseYaml } from "yaml";
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

const TOP_KEYS = ["image", "tags", "annotations", "manifests"];
const ENTRY_KEYS = ["image", "platform"];
const PLATFORM_KEYS = ["architecture", "os", "variant", "osversion", "osfeatures", "features"];

export function parseMergeSpec(text: string, file: string): MergeSpec {
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (error: unknown) {
    throw inputError(
      "POLYARCH_E_BAD_SPEC",
      `${file} is not valid YAML: ${(error as Error).message.split("\n")[0]}`,
    );
  }
  const problems: string[] = [];
  const top = asObject(document, "(top level)", problems);
  checkKeys(top, TOP_KEYS, "", problems);
  const image = typeof top.image === "string" && top.image !== "" ? top.image : undefined;
  if (!image) problems.push("image: the target image is required (e.g. image: registry.example.com/app:1.4)");
  const tags = stringList(top.tags, "tags", problems);
  const annotations = stringMap(top.annotations, "annotations", problems);
  const entries = Array.isArray(top.manifests) ? top.manifests : [];
  if (!Array.isArray(top.manifests) || entries.length === 0) {
    problems.push("manifests: list at least one source image with its platform");
  }
  const sources: SourceSpec[] = [];
  entries.forEach((raw, i) => {
    const path = `manifests[${i}]`;
    const entry = asObject(raw, path, problems);
    checkKeys(entry, ENTRY_KEYS, `${path}.`, problems);
    if (typeof entry.image !== "string" || entry.image === "") {
      problems.push(`${path}.image: the source image is required`);
      return;
    }
    const platform = parseSpecPlatform(entry.platform, `${path}.platform`, problems);
    try {
      const reference = parseReference(entry.image);
      sources.push(platform ? { text: entry.image, reference, platform } : { text: entry.image, reference });
    } catch (error: unknown) {
      problems.push(`${path}.image: ${(error as Error).message}`);
    }
  });
  if (problems.length > 0) {
    throw inputError(
      "POLYARCH_E_BAD_SPEC",
      `${file} has ${problems.length === 1 ? "a problem" : `${problems.length} problems`}:\n  ${problems.join("\n  ")}`,
      "see `polyarch merge --help` for the spec format (manifest-tool's from-spec YAML)",
    );
  }
  refuseDuplicateSources(sources);
  refuseDuplicatePlatforms(sources);
  return { image: image as string, tags, annotations, sources };
}

function parseSpecPlatform(value: unknown, path: string, problems: string[]): Platform | undefined {
  if (value === undefined) return undefined;
  const platform = asObject(value, path, problems);
  checkKeys(platform, PLATFORM_KEYS, `${path}.`, problems);
  const { os, architecture, variant } = platform;
  if (typeof os !== "string" || typeof architecture !== "string") {
    problems.push(`${path}: needs os and architecture (e.g. { os: linux, architecture: arm64 })`);
    return undefined;
  }
  try {
    const parsed = parsePlatform(
      `${os}/${architecture}${typeof variant === "string" && variant ? `/${variant}` : ""}`,
    );
    if (typeof platform.osversion === "string") parsed["os.version"] = platform.osversion;
    const features = platform.osfeatures ?? platform.features;
    if (Array.isArray(features)) parsed["os.features"] = features.map(String);
    return parsed;
  } catch (error: unknown) {
    problems.push(`${path}: ${(error as Error).message}; write os/architecture such as linux/amd64`);
    return undefined;
  }
}

function asObject(value: unknown, path: string, problems: string[]): Record<string, unknown> {
  if (typeof value === "object" && value !== null && !Array.isArray(value))
    return value as Record<string, unknown>;
  problems.push(`${path}: expected a mapping`);
  return {};
}

function checkKeys(
  object: Record<string, unknown>,
  valid: string[],
  prefix: string,
  problems: string[],
): void {
  for (const key of Object.keys(object)) {
    if (!valid.includes(key)) {
      problems.push(
        `${prefix}${key}: unknown key; did you mean "${closest(key, valid)}"? (valid: ${valid.join(", ")})`,
      );
    }
  }
}

function stringList(value: unknown, path: string, problems: string[]): string[] {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value) && value.every((v) => typeof v === "string" || typeof v === "number"))
    return value.map(String);
  problems.push(`${path}: expected a list of tags`);
  return [];
}

function stringMap(value: unknown, path: string, problems: string[]): Record<string, string> {
  if (value === undefined || value === null) return {};
  const object = asObject(value, path, problems);
  return Object.fromEntries(Object.entries(object).map(([k, v]) => [k, String(v)]));
}
