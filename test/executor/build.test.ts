import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ciJobPayload, type Registry, startRegistry, type TempDir, tempDir } from "@polyarch/test-harness";
import { afterAll, beforeAll, expect, test } from "vitest";
import { polyarch } from "../support/cli.ts";
import { type AptRepository, HELLO_PACKAGE, serveAptRepository } from "./support/apt-repository.ts";
import { aptEntries, HOST_ARCH, jobImage, pushJobImage } from "./support/images.ts";
import { polyarchBuildahImage } from "./support/polyarch-buildah-image.ts";
import { type RunnerHost, startRunnerHost } from "./support/runner.ts";
import { JOB_TIMEOUT_MS } from "./support/timeouts.ts";

// The project's own per-architecture build job on the executor: the multi-arch-image component's
// image-build job (its script as `polyarch ci template` writes it) runs `polyarch build --builder buildah`
// in the component's build image (images/polyarch-buildah/Containerfile built for real: the shipped
// bundle and launcher over a base with Node.js and the host's buildah), for this machine's architecture,
// as the non-root runner user with subordinate ids. The Dockerfile's RUN steps add a user, chown a file to
// it, and install a package with Debian's own package manager: the host's apt-get and dpkg (2.6 and 1.21
// when written), over busybox (support/images.ts aptEntries), run `apt-get update` and `apt-get install`
// from an apt repository served on loopback (support/apt-repository.ts), apt's http method dropping to
// the `_apt` user to download. The .deb is made by the host's `dpkg-deb --build`: a setgid root:staff
// directory, and a postinst that adds a system user and chowns its state directory to it. The pushed
// image is read back from the registry's own bytes, then the component's image-merge job runs
// `polyarch merge --from-env` on the build job's dotenv.
const ARCH = HOST_ARCH;
const ARCH_KEY = ARCH.toUpperCase();
const CI = {
  CI_COMMIT_SHA: "4f1c2a9e".padEnd(40, "0"),
  CI_COMMIT_SHORT_SHA: "4f1c2a9e",
  CI_PIPELINE_ID: "77",
};

let registry: Registry;
let host: RunnerHost;
let temp: TempDir;
let image: string;
let aptRepository: AptRepository;

beforeAll(async () => {
  registry = await startRegistry();
  // The job pushes to the harness's registry on the host's loopback.
  host = await startRunnerHost({ network: "host" });
  temp = await tempDir("polyarch-executor-build-");
  image = await polyarchBuildahImage(registry);
  aptRepository = await serveAptRepository(join(temp.path, "repository"));
}, 600_000);

afterAll(async () => {
  await aptRepository?.close();
  await host?.remove();
  await registry?.stop();
  await temp?.remove();
}, JOB_TIMEOUT_MS);

async function registryGet(path: string, accept: string): Promise<Buffer> {
  const response = await fetch(`http://${registry.host}${path}`, { headers: { accept } });
  if (!response.ok) throw new Error(`GET ${path}: ${response.status}`);
  return Buffer.from(await response.arrayBuffer());
}

const MANIFEST =
  "application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json";
const INDEX =
  "application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json";

/** The project's checkout as one script line: its files as a base64 tar (the job has no git remote here). */
async function checkout(): Promise<string> {
  const project = join(temp.path, "project");
  await mkdir(project, { recursive: true });
  await writeFile(
    join(project, "Dockerfile"),
    [
      "ARG BASE_IMAGE",
      "FROM $BASE_IMAGE",
      "ARG APT_SOURCE",
      "RUN echo app:x:4321:4321::/home/app:/bin/sh >> /etc/passwd && echo app:x:4321: >> /etc/group && mkdir -p /home/app && chown app:app /home/app",
      'RUN id > /id-in-run && echo owned > /owned && chown app:app /owned && su app -c "id -u" > /uid-in-run',
      // APT::Sandbox::Verify: apt fails unless its downloads really ran as _apt, without root's groups.
      'RUN echo "$APT_SOURCE" > /etc/apt/sources.list && echo "APT::Sandbox::Verify true;" > /etc/apt/apt.conf.d/verify-sandbox && apt-get update && apt-get install -y polyarch-hello && polyarch-hello > /hello-output',
      "",
    ].join("\n"),
  );
  const tar = execFileSync("tar", ["-czf", "-", "-C", project, "."]);
  return `printf '%s' '${tar.toString("base64")}' | base64 -d | tar -xzf -`;
}

/** `KEY=VALUE` lines of a dotenv file that a job printed, as an object. */
function dotenvIn(log: string, keys: RegExp): Record<string, string> {
  return Object.fromEntries(
    [...log.matchAll(/^(POLYARCH_[A-Z0-9_]+)=(.*)$/gm)]
      .filter((match) => keys.test(match[1] as string))
      .map((match) => [match[1] as string, match[2] as string]),
  );
}

test("the component's build job runs polyarch build with RUN steps that add users, chown and install a package; the merge job merges it", {
  timeout: 900_000,
}, async () => {
  const base = await pushJobImage(
    registry,
    "base",
    "1",
    await jobImage({ arch: ARCH, extra: [await aptEntries()] }),
  );
  const rendered = await polyarch([
    "ci",
    "template",
    "--component",
    "multi-arch-image",
    "--input",
    `image=${registry.host}/team/app`,
    "--input",
    "tag=v1",
    "--input",
    `architectures=["${ARCH}"]`,
    "--input",
    `build-args=${JSON.stringify([`BASE_IMAGE=${base}`, `APT_SOURCE=${aptRepository.source}`])}`,
  ]);
  expect(rendered.code, rendered.stderr).toBe(0);
  const build = ciJobPayload(rendered.stdout, "image-build", { POLYARCH_ARCH: ARCH });
  expect(build.script.join("\n")).toContain("polyarch build");
  expect(build.script.join("\n")).toContain("--builder buildah");

  const built = await host.runJob({
    id: 2201,
    image,
    variables: { ...build.variables, ...CI },
    // `cat build.env` stands in for the runner's upload of the dotenv report.
    script: ['echo "job uid $(id -u)"', await checkout(), ...build.script, "cat build.env"],
  });
  expect(built.result, built.log).toBe("success");
  expect(built.log).toContain("job uid 0");
  expect(built.log).toMatch(/\bpushed .*\(linux\/\S+, buildah\)/);

  // The unique tag the template names, and its manifest as the registry serves it.
  const tags = JSON.parse((await registryGet("/v2/team/app/tags/list", "application/json")).toString()) as {
    tags: string[];
  };
  const tag = `${ARCH}-${CI.CI_COMMIT_SHORT_SHA}-${CI.CI_PIPELINE_ID}`;
  expect(tags.tags).toEqual([tag]);
  const manifestBytes = await registryGet(`/v2/team/app/manifests/${tag}`, MANIFEST);
  const digest = `sha256:${createHash("sha256").update(manifestBytes).digest("hex")}`;
  expect(dotenvIn(built.log, /^POLYARCH_(IMAGE|DIGEST)_/)).toEqual({
    [`POLYARCH_IMAGE_${ARCH_KEY}`]: `${registry.host}/team/app@${digest}`,
    [`POLYARCH_DIGEST_${ARCH_KEY}`]: digest,
  });

  // Every layer's entries, owners as numbers, and the files the RUN steps wrote.
  const manifest = JSON.parse(manifestBytes.toString()) as { layers: Array<{ digest: string }> };
  const listings: string[] = [];
  const blobs: string[] = [];
  for (const layer of manifest.layers) {
    const blob = join(temp.path, `${layer.digest.slice(7)}.tar.gz`);
    await writeFile(blob, await registryGet(`/v2/team/app/blobs/${layer.digest}`, "*/*"));
    blobs.push(blob);
    listings.push(execFileSync("tar", ["--numeric-owner", "-tvzf", blob], { encoding: "utf8" }));
  }
  /** A file's content in the topmost layer that holds it. */
  const fileIn = (name: string) => {
    const blob = blobs.findLast((path) =>
      execFileSync("tar", ["-tzf", path], { encoding: "utf8" }).split("\n").includes(name),
    );
    if (blob === undefined) throw new Error(`no layer holds ${name}`);
    return execFileSync("tar", ["-xzOf", blob, name], { encoding: "utf8" });
  };
  const all = listings.join("\n");
  expect(all).toMatch(/^d\S+ 4321\/4321 .* home\/app\/?$/m);
  expect(all).toMatch(/^-\S+ 4321\/4321 .* owned$/m);
  expect(fileIn("id-in-run")).toMatch(/^uid=0\(root\) gid=0\(root\)/);
  expect(fileIn("uid-in-run").trim()).toBe("4321");
  // apt downloaded the package itself, as _apt (42), which owns the directories it downloads into.
  expect(built.log).not.toMatch(/unsandboxed|can not drop privileges/);
  expect(aptRepository.requests).toContainEqual({
    path: `/${HELLO_PACKAGE}`,
    agent: expect.stringMatching(/^Debian APT-HTTP\//),
  });
  expect(all).toMatch(/^drwx------ 42\/0 .* var\/cache\/apt\/archives\/partial\/$/m);
  expect(all).toMatch(/^drwx------ 42\/0 .* var\/lib\/apt\/lists\/partial\/$/m);
  // What dpkg unpacked and what the package's postinst did, with their owners and the setgid bit.
  expect(all).toMatch(/^-rwxr-xr-x 0\/0 .* usr\/bin\/polyarch-hello$/m);
  expect(all).toMatch(/^drwxrwsr-x 0\/50 .* var\/local\/polyarch-hello\/$/m);
  expect(all).toMatch(/^d\S+ 4400\/4400 .* var\/lib\/polyarch-hello\/$/m);
  expect(fileIn("hello-output")).toBe("hello from a package\n");
  const installed = fileIn("var/lib/dpkg/status")
    .split("\n\n")
    .find((paragraph) => paragraph.startsWith("Package: polyarch-hello\n"));
  expect(installed).toMatch(/^Status: install ok installed$/m);
  expect(installed).toMatch(/^Version: 1\.0$/m);
  expect(fileIn("etc/passwd")).toContain("polyarch-hello:x:4400:4400:");
  // Nothing the job did is owned by the host's root.
  expect(execFileSync("find", [host.stateDir, "-user", "root"], { encoding: "utf8" })).toBe("");

  // The merge job, with the build job's dotenv as its variables (GitLab's `needs:` + dotenv report).
  const merge = ciJobPayload(rendered.stdout, "image-merge");
  expect(merge.script.join("\n")).toContain("polyarch merge --from-env");
  const merged = await host.runJob({
    id: 2202,
    image,
    variables: { ...merge.variables, ...CI, ...dotenvIn(built.log, /^POLYARCH_(IMAGE|DIGEST)_/) },
    script: [...merge.script, "cat merge.env"],
  });
  expect(merged.result, merged.log).toBe("success");
  const indexBytes = await registryGet("/v2/team/app/manifests/v1", INDEX);
  const index = JSON.parse(indexBytes.toString()) as {
    manifests: Array<{ digest: string; platform: { os: string; architecture: string } }>;
  };
  expect(
    index.manifests.map((entry) => [entry.digest, entry.platform.os, entry.platform.architecture]),
  ).toEqual([[digest, "linux", ARCH]]);
  expect(dotenvIn(merged.log, /^POLYARCH_INDEX$/)).toEqual({
    POLYARCH_INDEX: `${registry.host}/team/app@sha256:${createHash("sha256").update(indexBytes).digest("hex")}`,
  });
});
