import { resolve } from "node:path";
import { type MergeReport, merge } from "@polyarch/merge";
import { LayoutStore, parsePlatform } from "@polyarch/oci";
import { type Inspection, readInspection } from "../inspection.ts";
import { buildDemoImage } from "./demo-image.ts";

export interface DemoOptions {
  /** The OCI layout directory the demo writes. @default ".polyarch-demo" */
  dir: string;
}

export interface DemoResult {
  dir: string;
  report: MergeReport;
  index: Inspection;
  arm64: Inspection;
}

const PLATFORMS = ["linux/amd64", "linux/arm64"];

/**
 * The whole merge path offline: builds one tiny image per architecture into an OCI layout, merges
 * them into a multi-arch index there (the same code `polyarch merge` runs against registries), and
 * reads the result back as a tree and as the arm64 child a runner on arm64 would pull.
 */
export async function demo(options: DemoOptions): Promise<DemoResult> {
  const dir = resolve(options.dir);
  const store = new LayoutStore(dir);
  for (const platform of PLATFORMS) {
    await buildDemoImage(store, parsePlatform(platform), `demo-${platform.split("/")[1]}`);
  }
  const report = await merge(
    {
      target: { kind: "layout", path: dir, tag: "demo" },
      sources: PLATFORMS.map((platform) => {
        const tag = `demo-${platform.split("/")[1]}`;
        return {
          text: `oci:${dir}:${tag}`,
          reference: { kind: "layout", path: dir, tag },
          platform: parsePlatform(platform),
        };
      }),
      tags: [],
      indexAnnotations: { "org.opencontainers.image.title": "polyarch demo" },
      descriptorAnnotations: [],
      ignoreMissing: false,
      keepAttestations: false,
      verifyBinaries: false,
      dryRun: false,
    },
    // Everything lives in the layout: no registry, no network client.
    { openStore: () => store },
  );
  const name = `oci:${dir}:demo`;
  return {
    dir,
    report,
    index: await readInspection(store, name, "demo"),
    arm64: await readInspection(store, name, "demo", parsePlatform("linux/arm64")),
  };
}
