import { Command, Option } from "commander";
import { demo } from "./commands/demo.ts";
import { formatRefreshReport, type HelperOptions, helperCommand } from "./commands/helper.ts";
import { type InspectOptions, inspect, renderTree, toJson } from "./commands/inspect.ts";
import { type MergeOptions, mergeCommand, mergeReportJson } from "./commands/merge.ts";
import {
  formatMirrorReport,
  type MirrorOptions,
  mirrorCommand,
  mirrorReportJson,
} from "./commands/mirror.ts";
import { type ManifestToolFlags, manifestToolOutput, pushFromArgs, pushFromSpec } from "./commands/push.ts";
import { formatRenderResult, type RenderOptions, render } from "./commands/render.ts";
import { formatSyncReport, itemsExitCode, type SyncOptions, syncCommand } from "./commands/sync.ts";
import type { Io } from "./output.ts";
import { addRegistryOptions } from "./registry-options.ts";

/** Set by a command whose outcome is not plain success (for example 3: some items failed). */
export interface RunStatus {
  exitCode: number;
}

/**
 * Declares every command and flag; each action calls `commands/<name>.ts`.
 * Commands return data or an exit code; printing and error mapping happen here and in exit.ts.
 */
export function buildProgram(io: Io, status: RunStatus = { exitCode: 0 }): Command {
  const program = new Command("polyarch")
    .description(
      "Multi-arch images and GitLab runners for mixed amd64/arm64 fleets, without privileged containers.",
    )
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    });
  void status;

  addRegistryOptions(
    program
      .command("inspect")
      .description("show an image or multi-arch index as a tree: platforms, digests, config and layers")
      .argument("<ref>", "registry reference ([registry/]repo[:tag][@digest]) or oci:<dir>[:<tag>|@<digest>]")
      .option("--platform <os/arch[/variant]>", "show the child of an index that serves this platform")
      .option("--raw", "print the manifest bytes exactly as stored")
      .option("--json", "print a machine-readable description"),
  )
    .addHelpText(
      "after",
      "\nExamples:\n  polyarch inspect alpine:3.20\n  polyarch inspect --platform linux/arm64 registry.example.com/team/app:1.4\n  polyarch inspect --raw oci:./out:latest",
    )
    .action(async (ref: string, options: InspectOptions & { raw?: boolean; json?: boolean }) => {
      const result = await inspect(ref, options, io);
      if (options.raw) io.stdout.write(result.raw);
      else io.stdout.write(options.json ? toJson(result) : renderTree(result));
    });

  const merge = addRegistryOptions(
    program
      .command("merge")
      .description(
        "merge per-architecture images into one multi-arch image (OCI index or Docker manifest list)",
      )
      .argument("[sources...]", "source images: REF, or REF=os/arch[/variant] to state the platform")
      .option("--target <ref>", "where the multi-arch image goes (a tag reference, or oci:<dir>:<tag>)")
      .option(
        "--platforms <list>",
        "with --template: comma-separated platforms, e.g. linux/amd64,linux/arm64",
      )
      .option(
        "--template <ref>",
        "source reference with placeholders {arch} {os} {variant} (or manifest-tool's ARCH OS VARIANT)",
      )
      .option("--spec <file>", "manifest-tool from-spec YAML naming target, tags, annotations and sources")
      .option("--tags <list>", "more tags for the same index, comma-separated")
      .option("--ignore-missing", "skip sources that do not exist (all missing is still an error)")
      .addOption(
        new Option(
          "--type <type>",
          "index type (default: docker only when every child is a Docker manifest)",
        ).choices(["oci", "docker"]),
      )
      .option(
        "--annotation <key=value>",
        "annotate the index (KEY=VALUE) or one platform's entry (os/arch:KEY=VALUE); repeatable, OCI only",
        (value: string, previous: string[]) => [...previous, value],
        [],
      )
      .option("--keep-attestations", "keep the attestation manifests of index sources (dropped by default)")
      .option(
        "--verify-binaries",
        "read each source's layers and fail when its ELF binaries are for another architecture",
      )
      .option("--dry-run", "print the index that would be pushed; push nothing")
      .option("--digest-file <file>", "write the pushed index's digest to this file")
      .option("--json", "print a machine-readable report"),
  );
  merge
    .addHelpText(
      "after",
      [
        "",
        "Placeholders in --template: every {arch}, {os} and {variant} is replaced. Without braces, manifest-tool's",
        "rule applies: the first ARCH, then the first OS, then the first VARIANT (empty when none) are replaced.",
        "",
        "Examples:",
        "  $ polyarch merge --platforms linux/amd64,linux/arm64 \\",
        "      --template $CI_REGISTRY_IMAGE:{arch}-$CI_COMMIT_SHA --target $CI_REGISTRY_IMAGE:$CI_COMMIT_SHA",
        "  $ polyarch merge --target registry.example.com/app:1.4 app@sha256:… app-arm@sha256:…=linux/arm64",
        "  $ polyarch merge --spec manifest.yaml --dry-run",
      ].join("\n"),
    )
    .action(async (sources: string[], options: MergeOptions & { json?: boolean }) => {
      const report = await mergeCommand(sources, options, io);
      if (options.json) io.stdout.write(mergeReportJson(report));
      else if (options.dryRun)
        io.stdout.write(`${JSON.stringify(JSON.parse(new TextDecoder().decode(report.index)), null, 2)}\n`);
      else io.stdout.write(`${report.repository}@${report.digest}\n`);
      if (!options.json)
        io.stderr.write(
          `${report.action}: ${report.repository}:${report.tag} (${report.manifests.length} manifests)\n`,
        );
    });

  const push = program
    .command("push")
    .description(
      "manifest-tool compatible: push from-args | from-spec (same flags; see `polyarch merge` for more)",
    );
  for (const option of manifestToolGlobalOptions()) push.addOption(option);
  const fromArgs = push
    .command("from-args")
    .description("merge images named by --platforms and --template into --target, like manifest-tool")
    .requiredOption(
      "--platforms <list>",
      "comma-separated platforms (repeatable), e.g. linux/amd64,linux/arm64",
      collect,
      [],
    )
    .requiredOption(
      "--template <ref>",
      "source reference; ARCH, OS and VARIANT (or {arch} {os} {variant}) are replaced",
    )
    .requiredOption("--target <ref>", "the multi-arch image to push")
    .option("--tags <list>", "more tags for the index, comma-separated (repeatable)", collect, [])
    .option("--ignore-missing", "only warn about missing source images")
    .option(
      "--annotations <list>",
      "KEY=VALUE annotations for the index, comma-separated (repeatable)",
      collect,
      [],
    )
    .addHelpText(
      "after",
      "\nExample:\n  $ polyarch push from-args --platforms linux/amd64,linux/arm64 \\\n      --template registry.example.com/app:ARCH-$CI_COMMIT_SHA --target registry.example.com/app:$CI_COMMIT_SHA",
    )
    .action(async (_flags: ManifestToolFlags, command: Command) => {
      io.stdout.write(
        manifestToolOutput(await pushFromArgs(command.optsWithGlobals<ManifestToolFlags>(), io)),
      );
    });
  for (const option of manifestToolGlobalOptions()) fromArgs.addOption(option.hideHelp());
  const fromSpec = push
    .command("from-spec")
    .description("merge the images a manifest-tool YAML spec names")
    .argument("<file>", "manifest-tool from-spec YAML (image, tags, annotations, manifests[].image/platform)")
    .option("--ignore-missing", "only warn about missing source images")
    .action(async (file: string, _flags: ManifestToolFlags, command: Command) => {
      io.stdout.write(
        manifestToolOutput(await pushFromSpec(file, command.optsWithGlobals<ManifestToolFlags>(), io)),
      );
    });
  for (const option of manifestToolGlobalOptions()) fromSpec.addOption(option.hideHelp());

  program
    .command("demo")
    .description(
      "offline tour: build two tiny images (amd64, arm64) into an OCI layout, merge them, show the result",
    )
    .option("--dir <dir>", "the OCI layout directory to write", ".polyarch-demo")
    .action(async (options: { dir: string }) => {
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

  // ---- mirror: copy one image or index between stores (packages/mirror) ----
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
      const report = await mirrorCommand(source, target, options, io);
      if (options.json) io.stdout.write(mirrorReportJson(report));
      else io.stdout.write(`${report.repository}@${report.digest}\n`);
      if (!options.json) io.stderr.write(formatMirrorReport(report));
    });
  // ---- end mirror ----

  // ---- sync: mirror many images from a spec (packages/mirror) ----
  addRegistryOptions(
    program
      .command("sync")
      .description("mirror the images a sync spec names (tag filters, platforms), copying only what changed")
      .argument("<file>", "sync spec (YAML): images[].source/target/tags/platforms, registries, concurrency")
      .option("--dry-run", "plan and check with HEAD requests only; copy nothing")
      .option("--json", "print a machine-readable report"),
  )
    .addHelpText(
      "after",
      [
        "",
        "Exit codes: 0 every image is current; 3 some images failed and the rest were mirrored; 1 all failed.",
        "",
        "Examples:",
        "  $ polyarch sync mirror.yaml --dry-run",
        "  $ polyarch sync mirror.yaml --json > sync-report.json",
      ].join("\n"),
    )
    .action(async (file: string, options: SyncOptions & { json?: boolean }) => {
      const report = await syncCommand(file, options, io);
      if (options.json) io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      else {
        for (const item of report.items) {
          if (item.digest && !report.dryRun) io.stdout.write(`${item.repository}@${item.digest}\n`);
        }
        io.stderr.write(formatSyncReport(report));
      }
      status.exitCode = itemsExitCode(report.counts.failed, report.items.length);
    });
  // ---- end sync ----

  // ---- helper: the multi-arch gitlab-runner-helper image (packages/helper-image) ----
  const helper = program
    .command("helper")
    .description(
      "keep a multi-arch gitlab-runner-helper image fresh (images/gitlab-runner-helper/helper.yaml)",
    );
  const helperCommands = [
    {
      name: "refresh",
      dryRun: false,
      description:
        "mirror, verify and stitch the helper images a spec names; pushes only what changed upstream",
    },
    {
      name: "plan",
      dryRun: true,
      description: "show what refresh would do, checking each version/flavor with HEAD requests only",
    },
  ];
  for (const { name, dryRun, description } of helperCommands) {
    const command = addRegistryOptions(
      helper
        .command(name)
        .description(description)
        .argument("<file>", "helper spec (YAML), e.g. images/gitlab-runner-helper/helper.yaml")
        .option(
          "--upstream <registry/repository>",
          "read upstream helper images from here instead of the spec's",
        )
        .option("--target <repository>", "write to this repository (or oci:<dir>) instead of the spec's")
        .option("--json", "print a machine-readable report"),
    );
    if (!dryRun) command.option("--force", "rebuild every item even when its receipt says it is current");
    command
      .addHelpText(
        "after",
        [
          "",
          "Exit codes: 0 all current; 3 some version/flavor failed and the rest completed; 1 all failed; 2 bad spec.",
          "",
          "Examples:",
          `  $ polyarch helper ${name} images/gitlab-runner-helper/helper.yaml`,
          `  $ polyarch helper ${name} helper.yaml --upstream registry.internal/gitlab-org/gitlab-runner/gitlab-runner-helper --json`,
        ].join("\n"),
      )
      .action(async (file: string, options: HelperOptions & { json?: boolean }) => {
        const report = await helperCommand(file, options, io, { dryRun });
        if (options.json) io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
        else if (dryRun) io.stdout.write(formatRefreshReport(report));
        else {
          for (const item of report.items) if (item.reference) io.stdout.write(`${item.reference}\n`);
          io.stderr.write(formatRefreshReport(report));
        }
        status.exitCode = itemsExitCode(report.counts.failed, report.items.length);
      });
  }
  // ---- end helper ----

  // ---- render: runner configuration (packages/runner-config) ----
  program
    .command("render")
    .description("Render GitLab Runner config.toml and gitlab-runner Helm chart values from a fleet file")
    .argument("<fleet>", "fleet file (YAML); every key is documented in packages/runner-config/README.md")
    .option("--out <dir>", "directory to write config.toml, values.yaml and secret.example.yaml into", ".")
    .option("--check", "validate and render, but write nothing", false)
    .addOption(
      new Option("--stdout <file>", "print one rendered file to stdout instead of writing files").choices([
        "config",
        "values",
      ]),
    )
    .option(
      "--resolve-digests",
      "pin the helper image by the digest its tag points to in the registry",
      false,
    )
    .addHelpText(
      "after",
      [
        "",
        "Examples:",
        "  $ polyarch render examples/fleet.yaml --out out/",
        "  $ polyarch render fleet.yaml --check",
        "  $ polyarch render fleet.yaml --stdout values > values.yaml",
      ].join("\n"),
    )
    .action(async (fleet: string, options: Omit<RenderOptions, "fleet">) => {
      io.stdout.write(formatRenderResult(await render({ ...options, fleet }, io), io));
    });
  // ---- end render ----

  return program;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** manifest-tool's global flags; a fresh set for each command that accepts them. */
function manifestToolGlobalOptions(): Option[] {
  return [
    new Option("--username <user>", "username for the target registry"),
    new Option("--password <password>", "password for the target registry"),
    new Option("--docker-cfg <dir>", "directory holding Docker's config.json (default ~/.docker)"),
    new Option("--insecure", "reach the target registry over plain HTTP"),
    new Option("--plain-http", "reach the target registry over plain HTTP"),
    new Option("--type <type>", "index type: docker or oci (default: docker unless a child is OCI)").choices([
      "oci",
      "docker",
    ]),
  ];
}
