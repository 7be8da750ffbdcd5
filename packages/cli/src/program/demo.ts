import type { Command } from "commander";
import type { Io } from "../output.ts";

/** `polyarch demo`: the offline tour. */
export function declareDemo(program: Command, io: Io): void {
  program
    .command("demo")
    .description(
      "the pipeline in miniature, offline: polyarch build (Buildah) per platform into a local registry, merge by digest, show the result",
    )
    .option("--dir <dir>", "the OCI layout directory to write", ".polyarch-demo")
    .action(async (options: { dir: string }) => {
      const [{ demo }, { renderTree }] = await Promise.all([
        import("../commands/demo.ts"),
        import("../inspection.ts"),
      ]);
      const result = await demo(options, io);
      for (const build of result.builds) {
        io.stdout.write(
          `polyarch build (${build.builder}): ${build.platform}${build.emulated ? `, emulated: built on this machine with --emulate instead of on a ${build.platform} runner` : ", natively"}\n`,
        );
      }
      io.stdout.write(
        `polyarch merge --from-env: merged by digest (${result.report.action}); copied to oci:${result.dir}:demo (${result.copy.action}):\n\n`,
      );
      io.stdout.write(renderTree(result.index));
      io.stdout.write("\nWhat a linux/arm64 runner pulls from it:\n\n");
      io.stdout.write(renderTree(result.arm64));
      io.stdout.write(
        `\nNext: polyarch inspect oci:${result.dir}:demo --json, or push it: polyarch mirror oci:${result.dir}:demo REGISTRY/REPO:TAG\n`,
      );
    });
}
