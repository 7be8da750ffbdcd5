import { startRegistry } from "@polyarch/test-harness";
import { jobImage, pushJobImage } from "../test/executor/support/images.ts";
import { polyarchBuildahImage } from "../test/executor/support/polyarch-buildah-image.ts";
import { startRunnerHost } from "../test/executor/support/runner.ts";
import type { Benchmark } from "./lib/types.ts";

/**
 * Whether an image build works inside a job of polyarch-executor: `polyarch build --builder buildah`
 * (buildah bud --isolation chroot, then its push to a loopback registry) of a two-step Dockerfile, in
 * the multi-arch-image component's build image (images/polyarch-buildah, built over a base with Node.js and
 * the host's buildah). Reports the outcome and, when it fails, the first error line.
 */
export const executorBuildah: Benchmark = {
  name: "executor-buildah",
  title: "executor: does `polyarch build --builder buildah` work inside a job?",
  timeoutMs: 300_000,
  async run(context) {
    const registry = await startRegistry();
    // The job pushes to the registry on the host's loopback.
    const host = await startRunnerHost({ network: "host" }, { built: true });
    try {
      context.log("executor-buildah: building the component's build image");
      const image = await polyarchBuildahImage(registry);
      const base = await pushJobImage(registry, "busybox", "1", await jobImage());
      const build = async (id: number, containerfile: string) => {
        context.log(`executor-buildah: building ${JSON.stringify(containerfile)} inside a job`);
        const run = await host.runJob({
          id,
          image,
          script: [
            "echo context > file",
            `printf '${containerfile}' > Dockerfile`,
            `polyarch build --builder buildah --image ${registry.host}/built --tag-template {arch}-${id} 2>&1`,
          ],
        });
        const error = /^(polyarch: .*|error.*|Error.*)$/m.exec(run.log)?.[0] ?? "";
        return { works: run.result === "success" && /^pushed /m.test(run.log), error };
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
