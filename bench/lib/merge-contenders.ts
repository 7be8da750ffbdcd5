import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { mergeInProcess, POLYARCH_BIN } from "./polyarch.ts";
import { type ProcessOptions, type ProcessRun, runProcess } from "./process.ts";
import { timed } from "./timing.ts";

export interface MergeContenders {
  polyarchCli(tag: string): Promise<ProcessRun & { digest: string }>;
  polyarchLibrary(tag: string): Promise<{ ms: number; digest: string }>;
  buildah(tag: string): Promise<ProcessRun & { digest: string }>;
}

/** The three ways to merge, against `repo` on the registry at `host` (the registry itself, or a proxy in front). */
export function mergeContenders(
  repo: string,
  host: string,
  tags: string[],
  dir: string,
  options: ProcessOptions,
): MergeContenders {
  const sources = tags.map((tag) => `${host}/${repo}:${tag}`);
  const storage = [
    "--root",
    join(dir, "buildah-root"),
    "--runroot",
    join(dir, "buildah-run"),
    "--storage-driver",
    "vfs",
  ];
  return {
    async polyarchCli(tag) {
      const run = await runProcess(
        POLYARCH_BIN,
        ["merge", "--target", `${host}/${repo}:${tag}`, ...sources],
        options,
      );
      return { ...run, digest: run.stdout.trim().split("@")[1] ?? "" };
    },
    async polyarchLibrary(tag) {
      const { ms, value } = await timed(() => mergeInProcess(`${host}/${repo}:${tag}`, sources));
      return { ms, digest: value.digest };
    },
    async buildah(tag) {
      const list = `bench-${tag}`;
      const digestFile = join(dir, `${list}.digest`);
      const steps = [
        ["manifest", "create", list],
        ...sources.map((source) => ["manifest", "add", "--tls-verify=false", list, `docker://${source}`]),
        [
          "manifest",
          "push",
          "--all",
          "--tls-verify=false",
          "--digestfile",
          digestFile,
          list,
          `docker://${host}/${repo}:${tag}`,
        ],
      ];
      let ms = 0;
      let peakRssBytes: number | undefined;
      for (const step of steps) {
        const run = await runProcess("buildah", [...storage, ...step], options);
        ms += run.ms;
        if (run.peakRssBytes !== undefined) peakRssBytes = Math.max(peakRssBytes ?? 0, run.peakRssBytes);
      }
      const digest = (await readFile(digestFile, "utf8")).trim();
      return { ms, stdout: "", peakRssBytes, digest };
    },
  };
}
