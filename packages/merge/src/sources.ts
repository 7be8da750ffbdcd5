import {
  formatPlatform,
  formatReference,
  type Platform,
  PolyarchError,
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

/** `--annotation KEY=VALUE` (the index) or `--annotation os/arch[/variant]:KEY=VALUE` (one entry). */
export function parseAnnotations(values: string[]): {
  index: Record<string, string>;
  descriptors: DescriptorAnnotation[];
} {
  const index: Record<string, string> = {};
  const descriptors: DescriptorAnnotation[] = [];
  for (const value of values) {
    const eq = value.indexOf("=");
    if (eq <= 0) {
      throw new PolyarchError(
        "POLYARCH_E_BAD_ANNOTATION",
        `--annotation ${JSON.stringify(value)} is not KEY=VALUE`,
        {
          hint: "write KEY=VALUE for the index, or os/arch:KEY=VALUE for one platform's entry",
        },
      );
    }
    const left = value.slice(0, eq);
    const annotationValue = value.slice(eq + 1);
    const colon = left.indexOf(":");
    if (colon > 0 && left.slice(0, colon).includes("/")) {
      descriptors.push({
        platform: parsePlatform(left.slice(0, colon)),
        key: left.slice(colon + 1),
        value: annotationValue,
      });
    } else {
      index[left] = annotationValue;
    }
  }
  return { index, descriptors };
}
