import type { Command } from "commander";
import type { Io } from "../output.ts";

/** `polyarch demo`: the offline tour. */
export function declareDemo(program: Command, io: Io): void {
  program
    .command("demo")
    .description(
      "offline tour: build two tiny images (amd64, arm64) into an OCI layout, merge them, show the result",
    )
    .option("--dir <dir>", "the OCI layout directory to write", ".polyarch-demo")
    .action(async (options: { dir: string }) => {
      const [{ demo }, { renderTree }] = await Promise.all([
        import("../commands/demo.ts"),
        import("../inspection.ts"),
      ]);
      const result = await demo(options);
      io.stdout.write(
        `Built oci:${result.dir}:demo-amd64 and :demo-arm64, merged them (${result.report.action}):\n\n`,
      );
      io.stdout.write(renderTree(result.index));
      io.stdout.write("\nWhat a linux/arm64 runner pulls from it:\n\n");
      io.stdout.write(renderTree(result.arm64));
      io.stdout.write(
        `\nNext: polyarch inspect oci:${result.dir}:demo --json, or push it: polyarch mirror oci:${result.dir}:demo REGISTRY/REPO:TAG\n`,
      );
    });
}
