import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  buildkitIndex,
  cosignSignature,
  type FaultProxy,
  indexOf,
  ociArtifact,
  pushCosignTag,
  pushImage,
  pushIndex,
  pushReferrer,
  type Registry,
  startFaultProxy,
  startRegistry,
  syntheticImage,
  type TempDir,
  tempDir,
} from "@polyarch/test-harness";
import { expect } from "vitest";
import { helperImage, pushPerArch } from "../helper-image/upstream.ts";
import { addToTally } from "../setup/tally.ts";
import { polyarch } from "../support/cli.ts";
import {
  type CellOutcome,
  columns,
  type FaultColumn,
  type LoggedRequest,
  POSITIONS,
  positions,
  repositoryState,
  requestPattern,
} from "./matrix-support.ts";

/** Retries and timeouts shortened through the environment, so a row takes seconds. */
const env = {
  POLYARCH_RETRIES: "4",
  POLYARCH_RETRY_BASE_MS: "5",
  POLYARCH_RETRY_MAX_MS: "40",
  POLYARCH_TIMEOUT_MS: "150",
};

/** A source and a target registry behind one proxy (repositories under src/ and gitlab-org/ are the source's). */
export interface Matrix {
  source: Registry;
  target: Registry;
  proxy: FaultProxy;
  work: TempDir;
  host: string;
  /** The digest of src/signed's SBOM referrer. */
  referrer: string;
  stop(): Promise<void>;
}

export async function startMatrix(): Promise<Matrix> {
  const [source, target] = await Promise.all([startRegistry(), startRegistry()]);
  const proxy = await startFaultProxy(target.url, {
    routes: [
      { prefix: "src/", url: source.url },
      { prefix: "gitlab-org/", url: source.url },
    ],
  });
  const work = await tempDir();
  const amd64 = await syntheticImage({ layers: [3000, 3000], seed: "matrix" });
  const arm64 = await syntheticImage({
    platform: { os: "linux", architecture: "arm64" },
    layers: [3000],
    seed: "matrix",
  });
  await pushImage(source, "src/app", "amd64", amd64);
  await pushImage(source, "src/app", "arm64", arm64);
  await pushIndex(source, "src/app", "multi", indexOf([amd64, arm64]));
  // Provenance: a signed index with an SBOM of its amd64 child (the fallback tag: distribution 2.8 has no
  // referrers API), and BuildKit-style per-architecture indexes with attestations.
  const signed = indexOf([amd64, arm64]);
  await pushIndex(source, "src/signed", "1", signed);
  await pushCosignTag(
    source,
    "src/signed",
    cosignSignature(signed.manifest.digest, `${source.host}/src/signed`),
  );
  const sbom = ociArtifact(amd64.descriptor);
  await pushReferrer(source, "src/signed", sbom);

  await pushIndex(source, "src/attested", "amd64", await buildkitIndex(amd64));
  await pushIndex(source, "src/attested", "arm64", await buildkitIndex(arm64));
  for (const tag of ["1.0", "1.1"]) {
    await pushImage(source, "src/many", tag, await syntheticImage({ layers: [2000], seed: `many-${tag}` }));
  }
  for (const arch of ["amd64", "arm64"] as const) {
    const image = await helperImage(arch, { flavor: "alpine", version: "18.9.0" });
    await pushPerArch(source, "alpine", arch, "18.9.0", image);
  }
  return {
    source,
    target,
    proxy,
    work,
    host: proxy.host,
    referrer: sbom.manifest.digest,
    async stop() {
      await proxy.stop();
      await Promise.all([source.stop(), target.stop()]);
      await work.remove();
    },
  };
}

export interface Row {
  name: string;
  /** The command, writing into `repository` (a fresh one per cell). */
  args(matrix: Matrix, repository: string): Promise<string[]>;
  /** What the command's environment needs besides the shortened retries (a builder's PATH and storage). */
  env?: Record<string, string>;
  /** Which requests of a run the positions are taken from, for every column. @default all of them */
  among?: (logged: LoggedRequest, matrix: Matrix) => boolean;
  /**
   * The tag the command writes last, after everything else it writes (referrers' tags too): a failed run
   * that left it must have left every other tag of the calibration as well.
   */
  lastTag?: string;
  /** Columns of this row only, after the shared ones. */
  columns?: FaultColumn[];
}

/**
 * A request the registry refuses for good (a 400, as ECR answers an artifact it does not take): no retry
 * helps, so the run fails there, and what it wrote before shows the order of its writes.
 */
const refusedForGood: FaultColumn = {
  name: "refused for good",
  fault: () => ({
    type: "status",
    status: 400,
    errors: [{ code: "MANIFEST_INVALID", message: "refused by the fault matrix" }],
    times: Number.POSITIVE_INFINITY,
  }),
};

async function specFile(matrix: Matrix, repository: string, text: string): Promise<string> {
  const file = join(matrix.work.path, `${repository.replaceAll("/", "-")}.yaml`);
  await writeFile(file, text);
  return file;
}

const mergeSpec = (host: string, repository: string) =>
  [
    `image: ${host}/${repository}:v1`,
    "manifests:",
    `  - image: ${host}/src/app:amd64`,
    "    platform: { os: linux, architecture: amd64 }",
    `  - image: ${host}/src/app:arm64`,
    "    platform: { os: linux, architecture: arm64 }",
    "",
  ].join("\n");

const syncSpec = (host: string, repository: string) =>
  `concurrency: 1\nimages:\n  - source: ${host}/src/many\n    target: ${host}/${repository}\n    tags: { allow: ['1\\.\\d'] }\n`;

const helperSpec =
  'versions: { list: ["18.9.0"] }\nflavors: [alpine]\narchitectures: [x86_64, arm64]\ntarget: { repository: unused.example/helper, tag: "v{version}" }\n';

/** Every command that writes but `build`, whose row (`buildRow`) needs a builder's workspace. */
export const rows: Record<string, Row> = {
  merge: {
    name: "merge",
    args: async ({ host }, repo) => [
      "merge",
      "--target",
      `${host}/${repo}:v1`,
      `${host}/src/app:amd64`,
      `${host}/src/app:arm64`,
    ],
  },
  pushFromArgs: {
    name: "push from-args",
    args: async ({ host }, repo) => [
      "push",
      "from-args",
      "--platforms",
      "linux/amd64,linux/arm64",
      "--template",
      `${host}/src/app:ARCH`,
      "--target",
      `${host}/${repo}:v1`,
    ],
  },
  pushFromSpec: {
    name: "push from-spec",
    args: async (matrix, repo) => [
      "push",
      "from-spec",
      await specFile(matrix, repo, mergeSpec(matrix.host, repo)),
    ],
  },
  mergeAttested: {
    name: "merge of attested indexes",
    lastTag: "v1",
    columns: [refusedForGood],
    args: async ({ host }, repo) => [
      "merge",
      "--target",
      `${host}/${repo}:v1`,
      `${host}/src/attested:amd64`,
      `${host}/src/attested:arm64`,
    ],
  },
  mirrorSigned: {
    name: "mirror with referrers",
    lastTag: "v1",
    columns: [refusedForGood],
    args: async ({ host }, repo) => ["mirror", `${host}/src/signed:1`, `${host}/${repo}:v1`],
  },
  mirrorReferrerWrites: {
    name: "mirror with faults on the referrer requests",
    lastTag: "v1",
    columns: [refusedForGood],
    args: async ({ host }, repo) => ["mirror", `${host}/src/signed:1`, `${host}/${repo}:v1`],
    // The referrers API probe, the fallback indexes and cosign tags (sha256-<hex>…), and the referrer's manifest.
    among: (logged, { referrer }) =>
      /\/referrers\/|\/manifests\/sha256-|\/tags\/list/.test(logged.path) ||
      (logged.method === "PUT" && logged.path.endsWith(`/manifests/${referrer}`)),
  },
  mirror: {
    name: "mirror",
    args: async ({ host }, repo) => ["mirror", `${host}/src/app:multi`, `${host}/${repo}:v1`],
  },
  sync: {
    name: "sync",
    args: async (matrix, repo) => ["sync", await specFile(matrix, repo, syncSpec(matrix.host, repo))],
  },
  helperRefresh: {
    name: "helper refresh",
    args: async (matrix, repo) => [
      "helper",
      "refresh",
      await specFile(matrix, repo, helperSpec),
      "--upstream",
      `${matrix.host}/gitlab-org/gitlab-runner/gitlab-runner-helper`,
      "--target",
      `${matrix.host}/${repo}`,
    ],
  },
};

/**
 * `polyarch build --push-with polyarch` with real Buildah: a `FROM scratch` context of two files, built reproducibly
 * (`--source-date-epoch 0`), so every cell's image has the calibration's digest. The context pulls
 * nothing, so every request the proxy sees is polyarch's push of what Buildah left in its layout.
 */
export function buildRow(context: string, env: Record<string, string>): Row {
  return {
    name: "build",
    env,
    args: async ({ host }, repo) => [
      "build",
      ...["--builder", "buildah", "--push-with", "polyarch", "--context", context],
      ...["--image", `${host}/${repo}`, "--tag-template", "{arch}-matrix", "--source-date-epoch", "0"],
    ],
  };
}

/** A failure's message: one `polyarch:` line (or one `failed` line per item), no stack trace. */
function clearFailure(stderr: string): boolean {
  const lines = stderr.trim().split("\n");
  const errors = lines.filter((line) => /^polyarch: |^failed[: ]/.test(line));
  return (
    errors.length > 0 && !lines.some((line) => /^\s+at /.test(line)) && !stderr.includes("internal error")
  );
}

/**
 * Runs one row: a clean calibration run (its requests give the positions, its tags the right result),
 * then every column at every position, each into a fresh repository, each failure followed by a re-run
 * without the fault. Returns what went wrong (nothing, when the row holds) and adds the outcomes to
 * the run's tally.
 */
export async function runRow(matrix: Matrix, row: Row): Promise<string[]> {
  const { proxy, target } = matrix;
  const slug = row.name.replaceAll(" ", "-");
  const calibration = `dst/${slug}/calibration`;
  proxy.reset();
  const rowEnv = { ...env, ...row.env };
  const clean = await polyarch(await row.args(matrix, calibration), { env: rowEnv });
  expect(clean.code, clean.stderr).toBe(0);
  const logged: LoggedRequest[] = proxy.counter.requests.map((r) => ({ method: r.method, path: r.path }));
  const expected = await repositoryState(target, calibration);
  expect(Object.keys(expected).length).toBeGreaterThan(0);

  const problems: string[] = [];
  const outcomes: CellOutcome[] = [];
  let cell = 0;
  for (const column of [...columns, ...(row.columns ?? [])]) {
    const candidates = logged.filter(
      (request) => (column.among?.(request) ?? true) && (row.among?.(request, matrix) ?? true),
    );
    const at = positions(candidates.length > 0 ? candidates : logged);
    for (const position of POSITIONS) {
      const repository = `dst/${slug}/c${cell++}`;
      const label = `${row.name} × ${column.name} × ${position}`;
      proxy.reset();
      const request = at[position];
      const injected = proxy.inject({
        ...column.fault(),
        method: request.method,
        path: requestPattern(request, calibration, repository),
      });
      const run = await polyarch(await row.args(matrix, repository), { env: rowEnv });
      proxy.reset();
      const state = await repositoryState(target, repository);
      const wrong = Object.entries(state).filter(([tag, digest]) => expected[tag] !== digest);
      const whole = Object.keys(state).length === Object.keys(expected).length;
      let outcome: CellOutcome;
      if (run.code === 0 && wrong.length === 0 && whole) {
        outcome = injected.hits > 0 ? "success after retry" : "success, fault not reached";
      } else if (row.lastTag !== undefined && state[row.lastTag] !== undefined && !whole) {
        outcome = "partial";
        problems.push(
          `${label}: ${row.lastTag} was written before ${JSON.stringify(Object.keys(expected).filter((t) => !(t in state)))}`,
        );
      } else if ((run.code === 1 || run.code === 3) && wrong.length === 0 && clearFailure(run.stderr)) {
        outcome = "clean failure";
      } else {
        outcome = "partial";
        problems.push(
          `${label}: exit ${run.code}, wrong tags ${JSON.stringify(wrong)}: ${run.stderr.slice(0, 400)}`,
        );
      }
      if (outcome === "clean failure") {
        const again = await polyarch(await row.args(matrix, repository), { env: rowEnv });
        const after = await repositoryState(target, repository);
        if (again.code !== 0 || JSON.stringify(after) !== JSON.stringify(expected)) {
          outcome = "partial";
          problems.push(
            `${label}: the re-run did not finish (exit ${again.code}): ${again.stderr.slice(0, 400)}`,
          );
        }
      }
      outcomes.push(outcome);
    }
  }
  const count = (outcome: CellOutcome) => outcomes.filter((o) => o === outcome).length;
  addToTally({
    matrixCells: outcomes.length,
    matrixSuccessAfterRetry: count("success after retry"),
    matrixNotReached: count("success, fault not reached"),
    matrixCleanFailures: count("clean failure"),
    matrixPartial: count("partial"),
  });
  return problems;
}
