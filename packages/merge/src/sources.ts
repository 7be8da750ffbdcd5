import { PolyarchError } from "@polyarch/errors";
import {
  formatPlatform,
  formatReference,
  type Platform,
  parsePlatform,
  parsePlatformList,
  parseReference,
  platformsEqual,
} from "@polyarch/oci";
import type { DescriptorAnnotation, SourceSpec } from "./request.ts";
import { checkTemplate, expandTemplate } from "./template.ts";
import { noSources } from "./validate.ts";

/**
 * Sources from `--platforms` and `--template`, one per platform, in the order given. With
 * `sameImage` (manifest-tool's behaviour) a template without a placeholder names one image for every
 * platform; the binaries still decide whether that image may be listed under each.
 */
export function templateSources(
  platformList: string,
  template: string,
  options: { sameImage?: boolean } = {},
): SourceSpec[] {
  if (!options.sameImage) checkTemplate(template);
  const platforms = parsePlatformList(platformList);
  const written = platformList
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  const sources = platforms.map((platform, i) => {
    // Placeholders take the platform as written, as manifest-tool does (linux/arm64/v8 fills
    // ARCHVARIANT with arm64v8); the normalized platform is what the image is checked against.
    const stated = asWritten(written[i] ?? "") ?? platform;
    const text = expandTemplate(template, stated);
    return { text, reference: parseReference(text), platform, written: stated };
  });
  if (!options.sameImage) refuseDuplicateSources(sources);
  return sources;
}

function asWritten(item: string): Platform | undefined {
  const [os, architecture, variant] = item.split("/");
  if (!os || !architecture) return undefined;
  return variant ? { os, architecture, variant } : { os, architecture };
}

/** Sources named on the command line: `REF` or `REF=os/arch[/variant]`. */
export function argumentSources(args: string[]): SourceSpec[] {
  if (args.length === 0) throw noSources();
  const sources = args.map((arg): SourceSpec => {
    const eq = arg.lastIndexOf("=");
    if (eq === -1) return { text: arg, reference: parseReference(arg) };
    const text = arg.slice(0, eq);
    return { text, reference: parseReference(text), platform: parsePlatform(arg.slice(eq + 1)) };
  });
  refuseDuplicateSources(sources);
  refuseDuplicatePlatforms(sources);
  return sources;
}

export function refuseDuplicateSources(sources: SourceSpec[]): void {
  const seen = new Set<string>();
  for (const source of sources) {
    const key = formatReference(source.reference);
    if (seen.has(key)) {
      throw new PolyarchError("POLYARCH_E_DUPLICATE_SOURCE", `${key} is named twice as a source`, {
        hint: "each platform needs its own image; check the template's placeholders",
      });
    }
    seen.add(key);
  }
}

export function refuseDuplicatePlatforms(sources: SourceSpec[]): void {
  const stated = sources.filter((s): s is SourceSpec & { platform: Platform } => s.platform !== undefined);
  stated.forEach((source, i) => {
    const earlier = stated.slice(0, i).find((other) => platformsEqual(other.platform, source.platform));
    if (earlier) {
      throw new PolyarchError(
        "POLYARCH_E_DUPLICATE_PLATFORM",
        `${source.text} and ${earlier.text} are both merged as ${formatPlatform(source.platform)}`,
        { hint: "an index holds one image per platform" },
      );
    }
  });
}

/**
 * buildx's `--annotation` type prefixes (`docker buildx imagetools create`): `index:` and
 * `manifest-descriptor:` (optionally `[os/arch]`) are what an index can carry; `manifest:` and
 * `index-descriptor:` would mean rewriting a child or a parent polyarch does not write, so they are refused.
 */
const ANNOTATION_TYPE = /^(index|manifest-descriptor|manifest|index-descriptor)(?:\[([^\]]*)\])?$/;

/**
 * `--annotation` values: `KEY=VALUE` or `index:KEY=VALUE` (the index), `os/arch[/variant]:KEY=VALUE` or
 * `manifest-descriptor[os/arch]:KEY=VALUE` (that platform's entry), `manifest-descriptor:KEY=VALUE`
 * (every image entry). A key may hold colons when what precedes the first is no type or platform.
 */
export function parseAnnotations(values: string[]): {
  index: Record<string, string>;
  descriptors: DescriptorAnnotation[];
} {
  const index: Record<string, string> = {};
  const descriptors: DescriptorAnnotation[] = [];
  for (const value of values) {
    const eq = value.indexOf("=");
    const left = eq > 0 ? value.slice(0, eq) : "";
    const colon = left.indexOf(":");
    const prefix = colon > 0 ? left.slice(0, colon) : "";
    const key = colon > 0 ? left.slice(colon + 1) : left;
    const typed = ANNOTATION_TYPE.exec(prefix);
    const platformPrefix = typed === null && prefix.includes("/");
    if (eq <= 0 || ((typed || platformPrefix) && key === "")) {
      throw new PolyarchError(
        "POLYARCH_E_BAD_ANNOTATION",
        `--annotation ${JSON.stringify(value)} is not KEY=VALUE`,
        {
          hint: "write KEY=VALUE or index:KEY=VALUE for the index, manifest-descriptor:KEY=VALUE for every entry, os/arch:KEY=VALUE or manifest-descriptor[os/arch]:KEY=VALUE for one platform's entry",
        },
      );
    }
    const annotationValue = value.slice(eq + 1);
    if (platformPrefix) {
      descriptors.push({ platform: parsePlatform(prefix), key, value: annotationValue });
    } else if (!typed) {
      index[left] = annotationValue;
    } else if (typed[1] === "index" && typed[2] === undefined) {
      index[key] = annotationValue;
    } else if (typed[1] === "manifest-descriptor") {
      descriptors.push({
        ...(typed[2] !== undefined && { platform: parsePlatform(typed[2]) }),
        key,
        value: annotationValue,
      });
    } else {
      throw new PolyarchError(
        "POLYARCH_E_BAD_ANNOTATION",
        `--annotation ${JSON.stringify(value)}: polyarch merge annotates the index and its entries, not ${typed[1] === "index" ? "one platform of the index" : typed[1] === "manifest" ? "the images themselves (that would change their digests)" : "a parent index"}`,
        {
          hint: "use index:KEY=VALUE for the index, manifest-descriptor:KEY=VALUE or manifest-descriptor[os/arch]:KEY=VALUE for its entries",
        },
      );
    }
  }
  return { index, descriptors };
}
