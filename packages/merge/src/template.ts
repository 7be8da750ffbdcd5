import { PolyarchError } from "@polyarch/errors";
import type { Platform } from "@polyarch/oci";

/**
 * Source references from a template and a platform list.
 *
 * Two placeholder forms:
 * - manifest-tool's bare words, replaced exactly as manifest-tool does so existing pipelines keep
 *   working: the first `ARCH` becomes the architecture, then the first `OS` the OS, then the first
 *   `VARIANT` the variant (empty when the platform has none). Only the first occurrence of each is
 *   replaced, in that order, and they match inside other words too (`COSMOS` contains `OS`).
 * - braces, which cannot collide with text in a tag: every `{arch}`, `{os}` and `{variant}` is
 *   replaced. When a template uses a brace placeholder, the bare words are left alone.
 */
export function expandTemplate(template: string, platform: Platform): string {
  const variant = platform.variant ?? "";
  if (usesBraces(template)) {
    return template
      .replaceAll("{arch}", platform.architecture)
      .replaceAll("{os}", platform.os)
      .replaceAll("{variant}", variant);
  }
  return template
    .replace("ARCH", platform.architecture)
    .replace("OS", platform.os)
    .replace("VARIANT", variant);
}

function usesBraces(template: string): boolean {
  return /\{(arch|os|variant)\}/.test(template);
}

/** Refuses a template that would give every platform the same source. */
export function checkTemplate(template: string): void {
  if (!usesBraces(template) && !/ARCH|OS|VARIANT/.test(template)) {
    throw new PolyarchError(
      "POLYARCH_E_BAD_TEMPLATE",
      `--template ${JSON.stringify(template)} has no placeholder, so every platform would read the same image`,
      {
        hint:
          "put {arch} (or manifest-tool's ARCH) where the architecture goes, e.g. registry.example.com/app:{arch}-$CI_COMMIT_SHA; " +
          "manifest-tool would have listed that one image under every platform; `polyarch push --same-image` does that " +
          "for an image without binaries (scripts, data), and still refuses one whose binaries are for one architecture",
      },
    );
  }
}
