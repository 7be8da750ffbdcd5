import { PolyarchError } from "@polyarch/errors";

/**
 * An image platform, as in the OCI image index `platform` object.
 * https://github.com/opencontainers/image-spec/blob/main/image-index.md#image-index-property-descriptions
 */
export type Platform = {
  os: string;
  architecture: string;
  variant?: string;
  "os.version"?: string;
  "os.features"?: string[];
};

const ARCH_ALIASES: Record<string, string> = {
  x86_64: "amd64",
  "x86-64": "amd64",
  aarch64: "arm64",
  armhf: "arm",
  armel: "arm",
  i386: "386",
  i686: "386",
};

const ARCH_PATTERN = /^[A-Za-z0-9_.-]+$/;

/**
 * Normalizes a platform the way containerd does (`platforms.Normalize`): known aliases become the
 * Go architecture name, `arm64/v8` is plain `arm64` (and `arm64/v9.0` is `arm64/v9`), a bare `arm` is
 * `arm/v7`, and `amd64/v1` is `amd64`.
 */
export function normalizePlatform(platform: Platform): Platform {
  const os = platform.os.toLowerCase();
  const rawArch = platform.architecture.toLowerCase();
  const architecture = ARCH_ALIASES[rawArch] ?? rawArch;
  let variant = platform.variant?.toLowerCase() || undefined;
  if (variant !== undefined && /^\d/.test(variant)) variant = `v${variant}`;
  if (rawArch === "armel" && variant === undefined) variant = "v6";
  if (architecture === "arm64" && (variant === "v8" || variant === "v8.0")) variant = undefined;
  if (architecture === "arm64" && variant === "v9.0") variant = "v9";
  if (architecture === "arm" && variant === undefined) variant = "v7";
  if (architecture === "amd64" && variant === "v1") variant = undefined;
  const normalized: Platform = { ...platform, os, architecture };
  if (variant === undefined) delete normalized.variant;
  else normalized.variant = variant;
  return normalized;
}

/** Parses `os/arch[/variant]` (the form `--platform` takes everywhere) and normalizes it. */
export function parsePlatform(text: string): Platform {
  const parts = text.trim().split("/");
  const [os, architecture, variant] = parts;
  if (
    parts.length < 2 ||
    parts.length > 3 ||
    !os ||
    !architecture ||
    parts.some((p) => !ARCH_PATTERN.test(p))
  ) {
    throw new PolyarchError("POLYARCH_E_BAD_PLATFORM", `${JSON.stringify(text)} is not a platform`, {
      hint: "write a platform as os/arch[/variant], for example linux/amd64, linux/arm64 or linux/arm/v7",
    });
  }
  return normalizePlatform(variant === undefined ? { os, architecture } : { os, architecture, variant });
}

/** Parses a comma-separated platform list, refusing duplicates and an empty list. */
export function parsePlatformList(text: string): Platform[] {
  const items = text
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  if (items.length === 0) {
    throw new PolyarchError("POLYARCH_E_BAD_PLATFORM", "the platform list is empty", {
      hint: "name at least one, e.g. linux/amd64,linux/arm64",
    });
  }
  const platforms = items.map(parsePlatform);
  const seen = new Map<string, string>();
  platforms.forEach((platform, i) => {
    const key = formatPlatform(platform);
    const earlier = seen.get(key);
    if (earlier !== undefined) {
      throw new PolyarchError(
        "POLYARCH_E_DUPLICATE_PLATFORM",
        `"${items[i]}" names the same platform as "${earlier}" (${key})`,
        { hint: "list each platform once" },
      );
    }
    seen.set(key, items[i] as string);
  });
  return platforms;
}

export function formatPlatform(platform: Platform): string {
  const p = normalizePlatform(platform);
  return p.variant ? `${p.os}/${p.architecture}/${p.variant}` : `${p.os}/${p.architecture}`;
}

/** True when two platforms are the same once normalized (os, architecture and variant). */
export function platformsEqual(a: Platform, b: Platform): boolean {
  return formatPlatform(a) === formatPlatform(b);
}

/** `os/arch[/variant]` of an index entry, or `unknown` for an entry that states no platform. */
export function platformName(platform: Platform | undefined): string {
  return platform ? formatPlatform(platform) : "unknown";
}
