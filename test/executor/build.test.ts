import { execFileSync } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type Registry, startRegistry, type TempDir, tempDir } from "@polyarch/test-harness";
import { afterAll, beforeAll, expect, test } from "vitest";
import { buildahEntries, jobImage, pushJobImage } from "./support/images.ts";
import { type RunnerHost, startRunnerHost } from "./support/runner.ts";
import { JOB_TIMEOUT_MS } from "./support/timeouts.ts";

// An image build with RUN steps inside a job, as the project's own per-architecture build job runs:
// the job's image holds the host's buildah (binary, libraries, /etc/containers), the runner user has
// subordinate ids, and the build is pushed to the harness's registry and inspected there.
let registry: Registry;
let host: RunnerHost;
let temp: TempDir;

beforeAll(async () => {
  registry = await startRegistry();
  // The job pushes to the harness's registry on the host's loopback.
  host = await startRunnerHost({ network: "host" });
  temp = await tempDir("polyarch-executor-build-");
}, JOB_TIMEOUT_MS);

afterAll(async () => {
  await host?.remove();
  await registry?.stop();
  await temp?.remove();
}, JOB_TIMEOUT_MS);

async function registryGet(path: string): Promise<Response> {
  const response = await fetch(`http://${registry.host}${path}`, {
    headers: {
      accept:
        "application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json",
    },
  });
  if (!response.ok) throw new Error(`GET ${path}: ${response.status}`);
  return response;
}

test("a buildah build with RUN steps that add a user and chown to it is pushed with those owners", {
  timeout: JOB_TIMEOUT_MS,
}, async () => {
  const builder = await pushJobImage(
    registry,
    "buildah",
    "1",
    await jobImage({ extra: [await buildahEntries()] }),
  );
  const base = await pushJobImage(
    registry,
    "base",
    "1",
    await jobImage({
      extra: [
        ["chown", "su"].map((applet) => ({
          path: `bin/${applet}`,
          type: "symlink" as const,
          linkname: "busybox",
        })),
      ],
    }),
  );
  const target = `${registry.host}/built:1`;
  const containerfile = [
    `FROM ${base}`,
    // No single quotes: the job's script writes this with printf '…'.
    "RUN echo app:x:4321:4321::/:/bin/sh >> /etc/passwd && echo app:x:4321: >> /etc/group",
    'RUN echo owned > /owned && chown app:app /owned && su app -c "id -u" > /uid-in-run',
  ].join("\\n");
  const run = await host.runJob({
    id: 2201,
    image: builder,
    script: [
      'echo "job uid $(id -u)"',
      "mkdir -p /builds/ctx && cd /builds/ctx",
      `printf '${containerfile}\\n' > Containerfile`,
      `buildah --storage-driver vfs bud --isolation chroot --tls-verify=false -t ${target} . 2>&1`,
      `buildah --storage-driver vfs push --tls-verify=false ${target} 2>&1`,
    ],
  });
  expect(run.result, run.log).toBe("success");
  expect(run.log).toContain("job uid 0");

  const manifest = (await (await registryGet("/v2/built/manifests/1")).json()) as {
    layers: Array<{ digest: string }>;
  };
  const last = manifest.layers.at(-1)?.digest as string;
  const blob = join(temp.path, "layer.tar.gz");
  await writeFile(blob, Buffer.from(await (await registryGet(`/v2/built/blobs/${last}`)).arrayBuffer()));
  const listing = execFileSync("tar", ["--numeric-owner", "-tvzf", blob], { encoding: "utf8" });
  expect(listing).toMatch(/^-\S+ 4321\/4321 .* owned$/m);
  const uidInRun = execFileSync("tar", ["-xzOf", blob, "--wildcards", "*uid-in-run"], { encoding: "utf8" });
  expect(uidInRun.trim()).toBe("4321");
  // Nothing the job did is owned by the host's root.
  expect(execFileSync("find", [host.stateDir, "-user", "root"], { encoding: "utf8" })).toBe("");
});
