import { writeFile } from "node:fs/promises";
import type { RefreshReport } from "@polyarch/helper-image";
import { type Registry, startRegistry, tempDir } from "@polyarch/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { polyarch } from "../support/cli.ts";
import { helperImage, pushPerArch, REPOSITORY } from "./upstream.ts";

// Every upstream re-push leaves one more receipt (`<tag>.polyarch-<hex>`); a run that writes prunes
// the ones that no longer match their tag, where the registry allows deletes, and counts what is left.
let upstream: Registry;
beforeAll(async () => {
  upstream = await startRegistry();
});
afterAll(() => upstream?.stop());

const spec =
  'versions: { list: ["18.9.0"] }\nflavors: [alpine]\narchitectures: [x86_64, arm64]\ntarget: { repository: unused.example/helper, tag: "v{version}" }\n';

async function publish(revision: string): Promise<void> {
  for (const arch of ["amd64", "arm64"] as const) {
    const image = await helperImage(arch, { flavor: "alpine", version: "18.9.0", revision });
    await pushPerArch(upstream, "alpine", arch, "18.9.0", image);
  }
}

const refreshArgs = (target: string, file: string) => [
  "helper",
  "refresh",
  file,
  "--upstream",
  `${upstream.host}/${REPOSITORY}`,
  "--target",
  target,
];

async function refresh(target: string, file: string): Promise<RefreshReport> {
  const run = await polyarch([...refreshArgs(target, file), "--json"]);
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as RefreshReport;
}

const receiptTags = (tags: string[]) => tags.filter((tag) => tag.includes(".polyarch-")).sort();

describe("receipt tags after upstream re-pushes", () => {
  it("prunes the receipts whose tag moved on, in a registry that allows deletes", async () => {
    const target = await startRegistry();
    const dir = await tempDir();
    try {
      const file = `${dir.path}/helper.yaml`;
      await writeFile(file, spec);
      const repo = `${target.host}/ci/helper`;
      await publish("1");
      const first = await refresh(repo, file);
      expect(first.receipts).toEqual({ held: 1, pruned: 0, staleKept: 0, deletes: "allowed" });
      await publish("2");
      const second = await refresh(repo, file);
      expect(second.items[0]?.action).toBe("updated");
      expect(second.receipts).toEqual({ held: 1, pruned: 1, staleKept: 0, deletes: "allowed" });
      const tags = (await (await fetch(`${target.url}/v2/ci/helper/tags/list`)).json()) as { tags: string[] };
      expect(tags.tags.filter((tag) => !tag.includes(".polyarch-"))).toEqual(["v18.9.0"]);
      expect(receiptTags(tags.tags)).toHaveLength(1);
      // The tag itself still resolves: only the old receipt's manifest went.
      const head = await fetch(`${target.url}/v2/ci/helper/manifests/v18.9.0`, {
        method: "HEAD",
        headers: { accept: "application/vnd.oci.image.index.v1+json" },
      });
      expect(head.headers.get("docker-content-digest")).toBe(second.items[0]?.digest);
    } finally {
      await dir.remove();
      await target.stop();
    }
  });

  it("keeps and counts them where the registry does not allow deletes, and still succeeds", async () => {
    const target = await startRegistry({ deleteEnabled: false });
    const dir = await tempDir();
    try {
      const file = `${dir.path}/helper.yaml`;
      await writeFile(file, spec);
      const repo = `${target.host}/ci/helper`;
      await publish("3");
      await refresh(repo, file);
      await publish("4");
      const run = await polyarch(refreshArgs(repo, file));
      expect(run.code, run.stderr).toBe(0);
      expect(run.stderr).toContain(
        `receipts: 2 in ${repo} (0 stale pruned; 1 stale kept: the registry does not allow deletes)`,
      );
    } finally {
      await dir.remove();
      await target.stop();
    }
  });

  it("prunes them from an oci: layout target too", async () => {
    const dir = await tempDir();
    try {
      const file = `${dir.path}/helper.yaml`;
      await writeFile(file, spec);
      const layout = `oci:${dir.path}/layout`;
      await publish("5");
      await refresh(layout, file);
      await publish("6");
      expect((await refresh(layout, file)).receipts).toEqual({
        held: 1,
        pruned: 1,
        staleKept: 0,
        deletes: "allowed",
      });
    } finally {
      await dir.remove();
    }
  });
});
