import type { Command } from "commander";
import type { MirrorOptions } from "../commands/mirror.ts";
import type { Io } from "../output.ts";
import { addRegistryOptions, collect } from "../registry-flags.ts";

/** `polyarch mirror SRC DST`. */
export function declareMirror(program: Command, io: Io): void {
  addRegistryOptions(
    program
      .command("mirror")
      .description("copy one image or index between registries and oci: layouts, blobs streamed")
      .argument("<source>", "what to copy: [registry/]repo[:tag][@digest] or oci:<dir>[:<tag>|@<digest>]")
      .argument(
        "<target>",
        "where it goes: a repository (keeps the source's tag), repo:tag, or oci:<dir>[:<tag>]",
      )
      .option(
        "--platforms <list>",
        "keep only these children of an index, e.g. linux/amd64,linux/arm64 (the index is rebuilt: its digest changes)",
      )
      .option("--concurrency <n>", "blobs transferred at once", "4")
      .option(
        "--no-referrers",
        "leave behind what refers to the image (OCI referrers: signatures, SBOMs; cosign's sha256-<hex>.sig/.att/.sbom tags), copied by default",
      )
      .option(
        "--referrer-type <type>",
        "copy only OCI referrers of this artifactType (repeatable; cosign's tags are not filtered)",
        collect,
        [],
      )
      .option("--dry-run", "find out what would be copied; write nothing")
      .option("--json", "print a machine-readable report"),
  )
    .addHelpText(
      "after",
      [
        "",
        "Examples:",
        "  $ polyarch mirror docker.io/library/alpine:3.21 registry.example.com/mirror/alpine",
        "  $ polyarch mirror --platforms linux/amd64,linux/arm64 alpine:3.21 oci:./airgap:alpine-3.21",
        "  $ polyarch mirror oci:./airgap:alpine-3.21 registry.internal/mirror/alpine:3.21",
      ].join("\n"),
    )
    .action(async (source: string, target: string, options: MirrorOptions & { json?: boolean }) => {
      const { formatMirrorReport, mirrorCommand, mirrorReportJson } = await import("../commands/mirror.ts");
      const report = await mirrorCommand(source, target, options, io);
      if (options.json) io.stdout.write(mirrorReportJson(report));
      else io.stdout.write(`${report.repository}@${report.digest}\n`);
      if (!options.json) io.stderr.write(formatMirrorReport(report));
    });
}
