import { isPolyarchError } from "@polyarch/errors";
import { hasWrittenTag, isValidTag, parseReference } from "@polyarch/oci";
import { parseSpecText, type SpecProblem, strictObject } from "@polyarch/spec";
import semver from "semver";
import { z } from "zod";
import {
  ARCHITECTURE_NAMES,
  architectureAlias,
  type HelperArchitecture,
  isHelperArchitecture,
} from "./architectures.ts";
import { DEFAULT_TARGET_TAG, renderTargetTag } from "./tags.ts";

/**
 * The helper-image spec (images/gitlab-runner-helper/helper.yaml): where the upstream helper images are,
 * which versions, flavors and architectures to take, and where the multi-arch result goes.
 */
export interface HelperSpec {
  upstream: {
    registry: string;
    repository: string;
    /** From this version upstream publishes multi-arch indexes; before it, per-architecture tags. */
    multiArchSince: string;
  };
  versions: { list: string[] } | { range: string; latest?: number };
  flavors: HelperFlavor[];
  target: {
    /** `registry/repository` or `oci:<dir>`. */
    repository: string;
    /** Target tag pattern: `{version}`, `{flavor}`, `{prefix}` (flavor and dash; empty for alpine). */
    tag: string;
  };
  /** Republish a mislabelled image with a corrected config instead of failing it. */
  fixPlatform: boolean;
  /**
   * Carry what refers to each upstream image (OCI referrers, cosign's digest tags) into the target, before
   * the index tag. @default true
   */
  referrers: boolean;
  /** The binaries whose ELF machine must match the tag's architecture (all executables when absent). */
  binaries: string[];
  /** Version/flavor items refreshed at once. */
  concurrency: number;
}

export interface HelperFlavor {
  name: string;
  architectures: HelperArchitecture[];
}

export const DEFAULT_UPSTREAM = {
  registry: "registry.gitlab.com",
  repository: "gitlab-org/gitlab-runner/gitlab-runner-helper",
  multiArchSince: "19.2.0",
} as const;
export const DEFAULT_BINARIES = ["/usr/bin/gitlab-runner-helper"];

const versionText = z
  .string({
    error: (issue) =>
      typeof issue.input === "number"
        ? `write the version as quoted text x.y.z, not the number ${issue.input}`
        : undefined,
  })
  .refine((text) => semver.valid(text) === text, {
    error: (issue) => `${JSON.stringify(issue.input)} is not a version; write x.y.z, e.g. 18.9.0`,
  });

const architecture = z.string().superRefine((text, context) => {
  if (isHelperArchitecture(text)) return;
  const alias = architectureAlias(text);
  context.addIssue({
    code: "custom",
    message:
      alias === undefined
        ? `${JSON.stringify(text)} is not a helper architecture; use ${ARCHITECTURE_NAMES.join(", ")}`
        : `${JSON.stringify(text)} is not how helper tags name it; write ${alias}`,
  });
});

const architectureList = z.array(architecture).min(1, { error: "list at least one architecture" });

const flavorName = z.string().regex(/^[a-z0-9]+(?:[.-][a-z0-9]+)*$/, {
  error: (issue) => `${JSON.stringify(issue.input)} is not a flavor name (e.g. alpine, alpine3.21, ubuntu)`,
});

const count = (max: number) =>
  z
    .int({ error: (issue) => (issue.input === undefined ? undefined : "must be a whole number") })
    .min(1)
    .max(max);

export const helperSpecSchema = strictObject({
  upstream: strictObject({
    registry: z.string().optional(),
    repository: z.string().optional(),
    multiArchSince: versionText.optional(),
  }).optional(),
  versions: strictObject({
    list: z.array(versionText).min(1, { error: "list at least one version" }).optional(),
    range: z
      .string()
      .refine((text) => semver.validRange(text) !== null, {
        error: (issue) => `${JSON.stringify(issue.input)} is not a semver range; write e.g. ">=18.9.0 <20"`,
      })
      .optional(),
    latest: count(100).optional(),
  }),
  flavors: z
    .array(
      z.union([flavorName, strictObject({ name: flavorName, architectures: architectureList.optional() })]),
    )
    .min(1, { error: "list at least one flavor (alpine is upstream's default)" }),
  architectures: architectureList,
  target: strictObject({ repository: z.string(), tag: z.string().optional() }),
  fixPlatform: z.boolean().optional(),
  referrers: z.boolean().optional(),
  verify: strictObject({ binaries: z.array(z.string().startsWith("/")).min(1).optional() }).optional(),
  concurrency: count(16).optional(),
});

type RawSpec = z.infer<typeof helperSpecSchema>;

/** Reads a helper spec; every problem is reported with its path (POLYARCH_E_BAD_SPEC, exit 2). */
export function parseHelperSpec(text: string, file: string): HelperSpec {
  const raw = parseSpecText(text, file, helperSpecSchema, {
    hint: "see images/gitlab-runner-helper/README.md for the helper spec",
    check: checkSpec,
  });
  return normalize(raw);
}

function normalize(raw: RawSpec): HelperSpec {
  const architectures = raw.architectures as HelperArchitecture[];
  return {
    upstream: {
      registry: raw.upstream?.registry ?? DEFAULT_UPSTREAM.registry,
      repository: raw.upstream?.repository ?? DEFAULT_UPSTREAM.repository,
      multiArchSince: raw.upstream?.multiArchSince ?? DEFAULT_UPSTREAM.multiArchSince,
    },
    versions:
      raw.versions.list !== undefined
        ? { list: raw.versions.list }
        : {
            range: raw.versions.range as string,
            ...(raw.versions.latest !== undefined && { latest: raw.versions.latest }),
          },
    flavors: raw.flavors.map((flavor) =>
      typeof flavor === "string"
        ? { name: flavor, architectures }
        : {
            name: flavor.name,
            architectures: (flavor.architectures as HelperArchitecture[]) ?? architectures,
          },
    ),
    target: { repository: raw.target.repository, tag: raw.target.tag ?? DEFAULT_TARGET_TAG },
    fixPlatform: raw.fixPlatform ?? false,
    referrers: raw.referrers ?? true,
    binaries: raw.verify?.binaries ?? DEFAULT_BINARIES,
    concurrency: raw.concurrency ?? 2,
  };
}

/** Rules across keys, once the shape is right. */
function checkSpec(raw: RawSpec): SpecProblem[] {
  const problems: SpecProblem[] = [];
  const { versions } = raw;
  if ((versions.list === undefined) === (versions.range === undefined)) {
    problems.push({
      path: "versions",
      message: "give either list (explicit versions) or range (with latest)",
    });
  }
  if (versions.latest !== undefined && versions.list !== undefined) {
    problems.push({
      path: "versions.latest",
      message: "applies to a range; with list, every listed version is taken",
    });
  }
  duplicates(versions.list ?? [], "versions.list", problems);
  duplicates(raw.architectures, "architectures", problems);
  const names = raw.flavors.map((flavor) => (typeof flavor === "string" ? flavor : flavor.name));
  duplicates(names, "flavors", problems);
  raw.flavors.forEach((flavor, index) => {
    if (typeof flavor !== "string" && flavor.architectures) {
      duplicates(flavor.architectures, `flavors[${index}].architectures`, problems);
    }
  });

  const upstream = `${raw.upstream?.registry ?? DEFAULT_UPSTREAM.registry}/${raw.upstream?.repository ?? DEFAULT_UPSTREAM.repository}`;
  problems.push(...checkRepository(upstream, "upstream", "the upstream registry and repository"));
  problems.push(...checkRepository(raw.target.repository, "target.repository", "the target repository"));

  const pattern = raw.target.tag ?? DEFAULT_TARGET_TAG;
  if (!pattern.includes("{version}")) {
    problems.push({
      path: "target.tag",
      message: `${JSON.stringify(pattern)} has no {version}: every version would get the same tag`,
    });
  } else if (names.length > 1 && !pattern.includes("{flavor}") && !pattern.includes("{prefix}")) {
    problems.push({
      path: "target.tag",
      message: `${JSON.stringify(pattern)} has no {flavor} or {prefix}, so the ${names.length} flavors would get the same tag`,
    });
  } else {
    for (const name of names) {
      const sample = renderTargetTag(pattern, name, versions.list?.[0] ?? "19.2.0");
      if (!isValidTag(sample)) {
        problems.push({
          path: "target.tag",
          message: `${JSON.stringify(pattern)} gives ${JSON.stringify(sample)} for flavor ${name}, which is not a valid tag (letters, digits, _ . -)`,
        });
        break;
      }
    }
  }
  return problems;
}

function checkRepository(text: string, path: string, what: string): SpecProblem[] {
  try {
    const reference = parseReference(text);
    if (
      reference.digest !== undefined ||
      (reference.kind === "registry" ? hasWrittenTag(text) : reference.tag)
    ) {
      return [{ path, message: `${text} names a tag or digest; give ${what} only` }];
    }
    return [];
  } catch (error: unknown) {
    return [{ path, message: isPolyarchError(error) ? error.message : String(error) }];
  }
}

function duplicates(values: readonly string[], path: string, problems: SpecProblem[]): void {
  const seen = new Set<string>();
  values.forEach((value, index) => {
    if (seen.has(value))
      problems.push({ path: `${path}[${index}]`, message: `${JSON.stringify(value)} is listed twice` });
    seen.add(value);
  });
}
