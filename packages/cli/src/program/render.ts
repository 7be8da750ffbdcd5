import { type Command, Option } from "commander";
import type { RenderOptions } from "../commands/render.ts";
import type { Io } from "../output.ts";
import { addRegistryOptions } from "../registry-flags.ts";

/** `polyarch render FLEET`: runner configuration from a fleet file. */
export function declareRender(program: Command, io: Io): void {
  addRegistryOptions(
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
        "pin the helper image by the digest its tag points to in the registry (with the registry flags below)",
        false,
      ),
  )
    .addHelpText(
      "after",
      [
        "",
        "Examples:",
        "  $ polyarch render examples/fleet.yaml --out out/",
        "  $ polyarch render fleet.yaml --check",
        "  $ polyarch render fleet.yaml --stdout values > values.yaml",
        "  $ polyarch render fleet.yaml --resolve-digests --username ci --out out/",
        "      pins helper_image by digest, asking its registry as ci ($POLYARCH_PASSWORD)",
      ].join("\n"),
    )
    .action(async (fleet: string, options: Omit<RenderOptions, "fleet">) => {
      const { formatRenderResult, render } = await import("../commands/render.ts");
      io.stdout.write(formatRenderResult(await render({ ...options, fleet }, io), io));
    });
}
