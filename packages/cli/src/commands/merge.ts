import { writeFile } from "node:fs/promises";
import { PolyarchError } from "@polyarch/errors";
import {
  argumentSources,
  type IndexType,
  imageReferences,
  type MergeReport,
  type MergeRequest,
  type MergeRules,
  merge,
  mergeTarget,
  parseAnnotations,
  type SourceSpec,
  templateSources,
} from "@polyarch/merge";
import { openStore } from "@polyarch/oci";
import { indexDotenvEntries, renderDotenv, sourcesFromEnv } from "@polyarch/pipeline";
import { splitList } from "../format.ts";
import type { Io } from "../output.ts";
import { createClient } from "../registry-client.ts";
import type { RegistryFlags } from "../registry-flags.ts";
import { readSpecFile } from "../spec-file.ts";
import { checkWritable } from "../writable.ts";

export interface MergeOptions extends RegistryFlags {
  target?: string;
  platforms?: string;
  template?: string;
  spec?: string;
  tags?: string;
  ignoreMissing?: boolean;
  type?: string;
  annotation?: string[];
  keepAttestations?: boolean;
  /** False with `--no-attestations`. @default true */
  attestations?: boolean;
  /** False with `--no-referrers`. @default true */
  referrers?: boolean;
  verifyBinaries?: boolean;
  dryRun?: boolean;
  digestFile?: string;
  fixPlatform?: boolean;
  ignoreUnknownKeys?: boolean;
  /** `polyarch push --same-image`: a template without a placeholder names one image for every platform. */
  sameImage?: boolean;
  /** `polyarch push` sets manifest-tool's. @default "merge" */
  rules?: MergeRules;
  fromEnv?: boolean;
  dotenv?: string;
}

/** `polyarch merge`: builds the request from whichever source form was used, runs it, writes --digest-file. */
export async function mergeCommand(args: string[], options: MergeOptions, io: Io): Promise<MergeReport> {
  const warn = (message: string) => io.stderr.write(`warning: ${message}\n`);
  const request = await buildRequest(args, options, warn, io.env);
  if (options.digestFile && !request.dryRun) await checkWritable(options.digestFile, "--digest-file");
  if (options.dotenv && !request.dryRun) await checkWritable(options.dotenv, "--dotenv");
  const { client } = await createClient(
    options,
    io,
    request.target.kind === "registry" ? request.target.registry : undefined,
  );
  try {
    const report = await merge(request, {
      openStore: (reference) => openStore(reference, client),
      log: (message) => io.stderr.write(`${message}\n`),
    });
    if (options.digestFile && !request.dryRun) await writeFile(options.digestFile, `${report.digest}\n`);
    if (options.dotenv && !request.dryRun) {
      await writeFile(
        options.dotenv,
        renderDotenv(indexDotenvEntries(report.repository, report.digest, imageReferences(report))),
      );
    }
    return report;
  } finally {
    await client.close();
  }
}

export async function buildRequest(
  args: string[],
  options: MergeOptions,
  warn: (message: string) => void = () => {},
  env: Readonly<Record<string, string | undefined>> = {},
): Promise<MergeRequest> {
  const forms = [
    options.spec !== undefined,
    options.template !== undefined || (options.platforms !== undefined && !options.fromEnv),
    args.length > 0,
    options.fromEnv === true,
  ];
  if (forms.filter(Boolean).length > 1) {
    throw new PolyarchError(
      "POLYARCH_E_SOURCE_FORMS",
      "name the sources one way: --spec FILE, or --platforms with --template, or source arguments, or --from-env",
      { hint: "see `polyarch merge --help`" },
    );
  }
  let sources: SourceSpec[];
  let targetText = options.target;
  let tags = splitList(options.tags);
  const annotations = parseAnnotations(options.annotation ?? []);
  if (options.keepAttestations && options.attestations === false) {
    throw new PolyarchError(
      "POLYARCH_E_BAD_FLAG",
      "--keep-attestations and --no-attestations ask for opposite things",
      { hint: "attestations are kept by default; give --no-attestations alone to drop them" },
    );
  }
  if (options.fromEnv) {
    // By digest, each stated as the platform its variable names: planMerge checks the config agrees.
    sources = sourcesFromEnv(env, options.platforms).map(({ text, reference, platform }) => ({
      text,
      reference,
      platform,
    }));
  } else if (options.spec !== undefined) {
    const { parseMergeSpec } = await import("./merge-spec.ts");
    const spec = parseMergeSpec(
      await readSpecFile(options.spec, "a manifest-tool style YAML spec"),
      options.spec,
      { ignoreUnknownKeys: options.ignoreUnknownKeys ?? false },
    );
    for (const ignored of spec.ignored)
      warn(`${options.spec}: ${ignored} (ignored, as manifest-tool ignores it)`);
    sources = spec.sources;
    targetText ??= spec.image;
    tags = [...spec.tags, ...tags];
    Object.assign(annotations.index, { ...spec.annotations, ...annotations.index });
  } else if (options.template !== undefined || options.platforms !== undefined) {
    // Tested against undefined: for `--platforms ""` templateSources says the list is empty, not missing.
    if (options.template === undefined || options.platforms === undefined) {
      const given = options.template === undefined ? "--platforms" : "--template";
      throw new PolyarchError(
        "POLYARCH_E_SOURCE_FORMS",
        `${given} needs ${given === "--template" ? "--platforms" : "--template"} too`,
        {
          hint: "e.g. --platforms linux/amd64,linux/arm64 --template registry.example.com/app:{arch}-$CI_COMMIT_SHA",
        },
      );
    }
    sources = templateSources(options.platforms, options.template, { sameImage: options.sameImage ?? false });
  } else {
    sources = argumentSources(args);
  }
  const target = mergeTarget(targetText);
  return {
    target,
    sources,
    tags: [...new Set(tags)].filter((t) => t !== target.tag),
    ...(options.type !== undefined && { type: parseType(options.type) }),
    indexAnnotations: annotations.index,
    descriptorAnnotations: annotations.descriptors,
    ignoreMissing: options.ignoreMissing ?? false,
    keepAttestations: options.attestations !== false,
    referrers: options.referrers !== false,
    verifyBinaries: options.verifyBinaries ?? false,
    dryRun: options.dryRun ?? false,
    rules: options.rules ?? "merge",
    fixPlatform: options.fixPlatform ?? false,
  };
}

function parseType(value: string): IndexType {
  if (value === "oci" || value === "docker") return value;
  throw new PolyarchError("POLYARCH_E_BAD_FLAG", `--type "${value}" is not an index type`, {
    hint: "use oci or docker",
  });
}

/** The report as `--json` prints it: the index as JSON, not bytes. */
export function mergeReportJson(report: MergeReport): string {
  const { index, ...rest } = report;
  return `${JSON.stringify({ ...rest, reference: `${report.repository}@${report.digest}`, images: imageReferences(report), index: JSON.parse(new TextDecoder().decode(index)) }, null, 2)}\n`;
}
