import { readFile, writeFile } from "node:fs/promises";
import { PolyarchError } from "@polyarch/errors";
import { detectHostPlatform, openStore } from "@polyarch/oci";
import {
  type BuildOptions,
  type BuildReport,
  build,
  detectBuilders,
  renderDotenv,
  runProcess,
} from "@polyarch/pipeline";
import { type Io, writeLine } from "../output.ts";
import { createClient } from "../registry-client.ts";
import type { RegistryFlags } from "../registry-flags.ts";
import { checkWritable } from "../writable.ts";

export interface BuildFlags extends RegistryFlags {
  context?: string;
  file?: string;
  buildArg?: string[];
  /** Build arguments as a JSON array of KEY=VALUE: how a CI/CD component's array input reaches a script. */
  buildArgs?: string;
  label?: string[];
  target?: string;
  image?: string;
  tagTemplate?: string;
  platform?: string;
  emulate?: boolean;
  builder?: string;
  verifyBinaries?: boolean;
  sourceDateEpoch?: string;
  pushWith?: string;
  cacheRepo?: string;
  dotenv?: string;
  json?: boolean;
}

/** `polyarch build`: runs the build on this machine's builder, then writes --dotenv. */
export async function buildCommand(passThrough: string[], flags: BuildFlags, io: Io): Promise<BuildReport> {
  if (flags.dotenv) await checkWritable(flags.dotenv, "--dotenv");
  const options: BuildOptions = {
    ...(flags.context !== undefined && { context: flags.context }),
    ...(flags.file !== undefined && { file: flags.file }),
    buildArgs: [...(flags.buildArg ?? []), ...jsonStringList(flags.buildArgs, "--build-args")],
    labels: flags.label ?? [],
    ...(flags.target !== undefined && { target: flags.target }),
    ...(flags.image !== undefined && { image: flags.image }),
    ...(flags.tagTemplate !== undefined && { tagTemplate: flags.tagTemplate }),
    ...(flags.platform !== undefined && { platform: flags.platform }),
    emulate: flags.emulate ?? false,
    ...(flags.builder !== undefined && { builder: flags.builder }),
    verifyBinaries: flags.verifyBinaries ?? false,
    passThrough,
    insecureRegistries: flags.insecureRegistry ?? [],
    ...(flags.sourceDateEpoch !== undefined && { sourceDateEpoch: flags.sourceDateEpoch }),
    ...(flags.pushWith !== undefined && { pushWith: flags.pushWith }),
    ...(flags.cacheRepo !== undefined && { cacheRepo: flags.cacheRepo }),
  };
  // --username/--password are for the destination registry: the first part of --image, when it is a host.
  const first = flags.image?.split("/", 1)[0];
  const credentialsHost =
    first && /[.:]|^localhost$/.test(first) && flags.image?.includes("/") ? first : undefined;
  const { client, redactor, resolver } = await createClient(flags, io, credentialsHost);
  try {
    const report = await build(options, {
      env: io.env,
      cwd: io.cwd,
      hostPlatform: detectHostPlatform,
      detectBuilders: () => detectBuilders(io.env),
      readFile: (path) => readFile(path, "utf8").catch(() => undefined),
      credential: (host) => resolver.get(host),
      openRepository: (reference) => openStore(reference, client),
      run: runProcess,
      scrub: (text) => redactor.redact(text),
      log: (line) => writeLine(io.stderr, line),
      ...(io.env.TMPDIR && { tempDir: io.env.TMPDIR }),
      ...(io.signal && { signal: io.signal }),
    });
    if (flags.dotenv) await writeFile(flags.dotenv, renderDotenv(report.dotenv));
    return report;
  } finally {
    await client.close();
  }
}

/** The report as `--json` prints it. */
export function buildReportJson(report: BuildReport): string {
  return `${JSON.stringify({ ...report, dotenv: Object.fromEntries(report.dotenv) }, null, 2)}\n`;
}

/**
 * A JSON array of strings (`["A=1","B=2"]`, as GitLab writes an array input into a script); none when
 * absent. Anything else is bad input naming the flag.
 */
function jsonStringList(text: string | undefined, flag: string): string[] {
  if (text === undefined) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (Array.isArray(parsed) && parsed.every((item) => typeof item === "string")) return parsed;
  throw new PolyarchError(
    "POLYARCH_E_BAD_FLAG",
    `${flag} ${JSON.stringify(text)} is not a JSON array of strings`,
    {
      hint: `e.g. ${flag} '["VERSION=1.4","DEBUG=0"]', or repeat --build-arg KEY=VALUE`,
    },
  );
}
