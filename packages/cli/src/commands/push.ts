import type { MergeReport } from "@polyarch/merge";
import { parseReference } from "@polyarch/oci";
import { splitList } from "../format.ts";
import type { Io } from "../output.ts";
import { type MergeOptions, mergeCommand } from "./merge.ts";

/**
 * manifest-tool's flags (https://github.com/estesp/manifest-tool), so `manifest-tool push from-args …`
 * becomes `polyarch push from-args …` with nothing else changed. Global flags (`--username`,
 * `--password`, `--docker-cfg`, `--insecure`, `--plain-http`) may stand before or after `push`.
 */
export interface ManifestToolFlags {
  platforms?: string[];
  template?: string;
  target?: string;
  tags?: string[];
  ignoreMissing?: boolean;
  type?: string;
  username?: string;
  password?: string;
  dockerCfg?: string;
  insecure?: boolean;
  plainHttp?: boolean;
  annotations?: string[];
}

export async function pushFromArgs(flags: ManifestToolFlags, io: Io): Promise<MergeReport> {
  return mergeCommand([], translate(flags), withDockerConfig(io, flags));
}

export async function pushFromSpec(file: string, flags: ManifestToolFlags, io: Io): Promise<MergeReport> {
  return mergeCommand([], { ...translate(flags), spec: file }, withDockerConfig(io, flags));
}

function translate(flags: ManifestToolFlags): MergeOptions {
  const options: MergeOptions = {
    ignoreMissing: flags.ignoreMissing ?? false,
    annotation: (flags.annotations ?? []).flatMap(splitList),
  };
  if (flags.platforms?.length) options.platforms = flags.platforms.flatMap(splitList).join(",");
  if (flags.template !== undefined) options.template = flags.template;
  if (flags.target !== undefined) options.target = flags.target;
  if (flags.tags?.length) options.tags = flags.tags.flatMap(splitList).join(",");
  if (flags.type !== undefined) options.type = flags.type;
  if (flags.username !== undefined) options.username = flags.username;
  if (flags.password !== undefined) options.password = flags.password;
  if ((flags.insecure || flags.plainHttp) && flags.target) {
    const target = parseReference(flags.target);
    if (target.kind === "registry") options.insecureRegistry = [target.registry];
  }
  return options;
}

/** `--docker-cfg DIR` is the directory holding config.json, as DOCKER_CONFIG is. */
function withDockerConfig(io: Io, flags: ManifestToolFlags): Io {
  return flags.dockerCfg ? { ...io, env: { ...io.env, DOCKER_CONFIG: flags.dockerCfg } } : io;
}

/** manifest-tool's output line, which pipelines parse. */
export function manifestToolOutput(report: MergeReport): string {
  return `Digest: ${report.digest} ${report.index.length}\n`;
}
