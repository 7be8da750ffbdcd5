import { readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { openStore } from "@polyarch/oci";
import { type BuildContext, build, type Invocation } from "@polyarch/pipeline";
import {
  busyboxImage,
  type EcrRegistry,
  ecrClient,
  fetchManifest,
  setProcessEnv,
  startEcrRegistry,
  type TempDir,
  tempDir,
  writeLayout,
} from "@polyarch/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ciEnv } from "./support.ts";

// polyarch build for an ECR registry, through the library with its I/O injected: the real AWS SDK gets the
// token from the local GetAuthorizationToken endpoint, the real registry sits behind TLS under the ECR
// name, and the push (--push-with polyarch) is polyarch's real client. Kaniko cannot run here, so the
// builder is a stand-in that checks the auth file it is handed, leaves the layout Kaniko's
// `--oci-layout-path` writes, and then the token expires.
let ecr: EcrRegistry;
let dir: TempDir;
let restoreEnv: () => void;

beforeAll(async () => {
  ecr = await startEcrRegistry();
  dir = await tempDir();
  await writeFile(join(dir.path, "Dockerfile"), `FROM ${ecr.host}/base:1\n`);
  restoreEnv = setProcessEnv(ecr.awsEnv);
});

afterAll(async () => {
  restoreEnv?.();
  await ecr?.stop();
  await dir?.remove();
});

describe("polyarch build for ECR", () => {
  it("hands the builder an ECR token in a 0600 file, and re-fetches once when it expires before the push", async () => {
    const { client, resolver, redactor } = ecrClient(ecr);
    const image = await busyboxImage({ arch: "amd64" });
    const seen: Array<{ invocation: Invocation; auths: unknown; mode: number }> = [];
    const kanikoStandIn: BuildContext["run"] = async (invocation) => {
      const authDir = invocation.env.DOCKER_CONFIG as string;
      const file = join(authDir, "config.json");
      seen.push({
        invocation,
        auths: JSON.parse(await readFile(file, "utf8")).auths,
        mode: (await stat(file)).mode & 0o777,
      });
      await writeLayout(invocation.args[invocation.args.indexOf("--oci-layout-path") + 1] as string, image);
      ecr.rotate("second-ecr-password");
      return { exitCode: 0, tail: [] };
    };
    try {
      const report = await build(
        {
          buildArgs: [],
          labels: [],
          emulate: false,
          verifyBinaries: true,
          passThrough: [],
          insecureRegistries: [],
          image: `${ecr.host}/team/app`,
          pushWith: "polyarch",
        },
        {
          env: ciEnv,
          cwd: dir.path,
          hostPlatform: async () => ({ os: "linux", architecture: "amd64" }),
          detectBuilders: async () => ({ present: ["kaniko"], overlayUsable: true }),
          readFile: (path) => readFile(path, "utf8").catch(() => undefined),
          credential: (host) => resolver.get(host),
          openRepository: (reference) => openStore(reference, client),
          run: kanikoStandIn,
          scrub: (text) => redactor.redact(text),
          log: () => {},
          tempDir: dir.path,
        },
      );
      expect(seen).toHaveLength(1);
      expect(seen[0]?.mode).toBe(0o600);
      expect(seen[0]?.auths).toEqual({
        [ecr.host]: { auth: Buffer.from("AWS:first-ecr-password").toString("base64") },
      });
      expect(seen[0]?.invocation.program).toBe("/kaniko/executor");
      expect(report).toMatchObject({
        builder: "kaniko",
        digest: image.manifest.digest,
        image: `${ecr.host}/team/app@${image.manifest.digest}`,
        binaries: { checked: 1 },
      });
      expect(
        (
          await fetchManifest(ecr.registry, "team/app", report.tag, {
            auth: { username: "AWS", password: "second-ecr-password" },
          })
        ).digest,
      ).toBe(image.manifest.digest);
      // One token for the builder, one more when the push met the expired one.
      expect(ecr.endpoint.requests.map((r) => r.status)).toEqual([200, 200]);
      const authDir = seen[0]?.invocation.env.DOCKER_CONFIG as string;
      await expect(stat(authDir)).rejects.toThrow(/ENOENT/);
    } finally {
      await client.close();
    }
  });
});
