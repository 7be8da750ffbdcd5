import { startRegistry } from "@polyarch/test-harness";
import { buildahEntries, jobImage, pushJobImage } from "../test/executor/support/images.ts";
import { startRunnerHost } from "../test/executor/support/runner.ts";
import type { Benchmark } from "./lib/types.ts";

/**
 * Whether an image build works inside a job of polyarch-executor: `buildah bud --isolation chroot`
 * (what `polyarch build` runs with Buildah) of a two-step Containerfile, in a job whose image holds
 * the host's buildah. Reports the outcome and, when it fails, buildah's last lines.
 */
export const executorBuildah: Benchmark = {
  name: "executor-buildah",
  title: "executor: does `buildah bud --isolation chroot` work inside a job?",
  timeoutMs: 300_000,
  async run(context) {
    const registry = await startRegistry();
    const host = await startRunnerHost({}, { built: true });
    try {
      const image = await pushJobImage(
        registry,
        "buildah",
        "1",
        await jobImage({ extra: [await buildahEntries()] }),
      );
      const base = await pushJobImage(registry, "busybox", "1", await jobImage());
      const build = async (id: number, containerfile: string) => {
        context.log(`executor-buildah: building ${JSON.stringify(containerfile)} inside a job`);
        const run = await host.runJob({
          id,
          image,
          script: [
            "mkdir -p /builds/ctx && cd /builds/ctx && echo context > file",
            `printf '${containerfile}' > Containerfile`,
            "buildah --storage-driver vfs bud --isolation chroot --tls-verify=false -t built:1 . 2>&1",
            "buildah --storage-driver vfs inspect built:1 >/dev/null && echo BUILT",
          ],
        });
        const error = /^(error|Error).*$/m.exec(run.log)?.[0] ?? "";
        return { works: run.result === "success" && run.log.includes("\nBUILT"), error };
      };
      const copyOnly = await build(900, `FROM ${base}\\nCOPY file /copied\\nENV BUILT=1\\n`);
      const withRun = await build(901, `FROM ${base}\\nRUN echo built-in-job > /built\\n`);
      const row = (name: string, outcome: { works: boolean; error: string }) => ({
        case: name,
        polyarch: outcome.works ? "works" : "fails",
        reference: "—",
        ratio: "—",
        note: outcome.works ? "" : outcome.error,
      });
      return {
        rows: [row("FROM + COPY + ENV", copyOnly), row("FROM + RUN", withRun)],
        data: { copyOnly, withRun },
      };
    } finally {
      await host.remove();
      await registry.stop();
    }
  },
};
