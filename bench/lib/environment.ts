import { execFile } from "node:child_process";
import { cpus, loadavg, release } from "node:os";

/** What the figures were measured on, for results.json: machine, tool versions, commit. */
export async function describeEnvironment(cwd: string): Promise<Record<string, unknown>> {
  const [buildah, skopeo, registry, commit, dirty] = await Promise.all([
    firstLine("buildah", ["--version"], cwd),
    firstLine("skopeo", ["--version"], cwd),
    firstLine("docker-registry", ["--version"], cwd),
    firstLine("git", ["rev-parse", "HEAD"], cwd),
    firstLine("git", ["status", "--porcelain"], cwd),
  ]);
  return {
    node: process.version,
    platform: `${process.platform}/${process.arch} ${release()}`,
    cpus: cpus().length,
    /** Other work on the machine skews absolute figures more than ratios measured side by side. */
    loadAverage: loadavg(),
    cpuModel: cpus()[0]?.model,
    buildah,
    skopeo,
    registry,
    commit,
    dirtyTree: dirty !== "",
  };
}

function firstLine(command: string, args: string[], cwd: string): Promise<string> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd, timeout: 10_000 }, (error, stdout) =>
      resolve(error ? `unavailable (${error.message.split("\n")[0]})` : (stdout.split("\n")[0] ?? "").trim()),
    );
  });
}
