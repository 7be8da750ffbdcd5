import { chown, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type Registry, startRegistry } from "@polyarch/test-harness";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { HOST_ARCH, helperStandIn, jobImage, pushJobImage, pushJobIndex, UNAME } from "./support/images.ts";
import {
  BUILD_FAILURE_EXIT_CODE,
  type RunnerHost,
  SYSTEM_FAILURE_EXIT_CODE,
  startRunnerHost,
} from "./support/runner.ts";
import { JOB_TIMEOUT_MS } from "./support/timeouts.ts";

let registry: Registry;
let host: RunnerHost;
let busybox: string;

beforeAll(async () => {
  registry = await startRegistry();
  busybox = await pushJobImage(registry, "busybox", "1", await jobImage());
  const helper = await pushJobIndex(registry, "helper", "v1", [
    await helperStandIn("amd64"),
    await helperStandIn("arm64"),
  ]);
  host = await startRunnerHost({ helper_image: helper });
}, JOB_TIMEOUT_MS);

afterAll(async () => {
  await host?.remove();
  await registry?.stop();
}, JOB_TIMEOUT_MS);

describe("a job", { timeout: JOB_TIMEOUT_MS }, () => {
  test("runs its script in its own image, with the helper image's gitlab-runner on PATH", async () => {
    const run = await host.runJob({
      id: 101,
      image: busybox,
      script: [
        "echo hello from $(uname -m)",
        "cat /SOURCES 2>/dev/null || cat SOURCES",
        "gitlab-runner artifacts-uploader --help",
      ],
    });
    expect(run.result).toBe("success");
    expect(run.stages.map((stage) => stage.stage)).toEqual([
      "config",
      "prepare",
      "prepare_script",
      "get_sources",
      "step_script",
      "upload_artifacts_on_success",
      "cleanup_file_variables",
      "cleanup",
    ]);
    expect(run.stages.every((stage) => stage.exitCode === 0)).toBe(true);
    expect(run.log).toContain(`hello from ${UNAME[HOST_ARCH]}`);
    expect(run.log).toContain("checked out");
    expect(run.log).toContain(`gitlab-runner-helper stand-in (${HOST_ARCH}): artifacts-uploader --help`);
  });

  test("that fails exits with BUILD_FAILURE_EXIT_CODE, its code in BUILD_EXIT_CODE_FILE, and after_script still runs", async () => {
    const run = await host.runJob({
      id: 102,
      image: busybox,
      script: ["echo before", "exit 7", "echo never"],
      afterScript: ["echo after_script ran in $PWD"],
    });
    expect(run.result).toBe("failed");
    expect(run.stages.find((stage) => stage.stage === "step_script")?.exitCode).toBe(BUILD_FAILURE_EXIT_CODE);
    expect(run.scriptExitCode).toBe(7);
    expect(run.log).toContain("before");
    expect(run.log).not.toContain("\nnever");
    expect(run.log).toContain("after_script ran in /builds/group/project");
    expect(run.stages.map((stage) => stage.stage)).toContain("upload_artifacts_on_failure");
  });

  test("cannot see the host's files, even those the runner's user can read", async () => {
    const secret = join(host.dir, "host-secret.txt");
    await writeFile(secret, "host secret\n");
    await chown(secret, host.user.uid, host.user.gid);
    const run = await host.runJob({
      id: 103,
      image: busybox,
      script: [`cat ${secret} || echo "no host file"`, `ls ${host.stateDir} || echo "no state dir"`, "ls /"],
    });
    expect(run.result).toBe("success");
    expect(run.log).not.toContain("host secret");
    expect(run.log).toContain("no host file");
    expect(run.log).toContain("no state dir");
    expect(run.log).not.toMatch(/\bhome\b|\bvar\b|\bwork\b|\busr\b/);
  });

  test("runs as root inside and writes files the runner's unprivileged user owns on the host", async () => {
    await host.stage("prepare", { id: 104, image: busybox, script: [] });
    const { step, finish } = await host.startStep({
      id: 104,
      image: busybox,
      script: ["mkdir -p /builds/out", "echo data > /builds/out/file", "id -u > /builds/out/uid"],
    });
    const result = await step;
    expect(result.exitCode).toBe(0);
    const jobName = (await readdir(join(host.stateDir, "jobs"))).find((name) => name.includes("-job-104-"));
    const jobDir = join(host.stateDir, "jobs", jobName as string);
    const written = await stat(join(jobDir, "builds", "out", "file"));
    expect(written.uid).toBe(host.user.uid);
    expect(written.gid).toBe(host.user.gid);
    expect(await readFile(join(jobDir, "builds", "out", "uid"), "utf8")).toBe("0\n");
    await finish();
  });

  test("honours the image's Env, WorkingDir and User, and its entrypoint unless the job clears it", async () => {
    const image = await pushJobImage(
      registry,
      "configured",
      "1",
      await jobImage({
        extra: [
          [
            { path: "srv/", type: "directory", mode: 0o777 },
            { path: "entry.sh", content: '#!/bin/sh\nexport FROM_ENTRYPOINT=yes\nexec "$@"\n', mode: 0o755 },
          ],
        ],
        runtime: {
          Env: ["PATH=/bin", "GREETING=hi there"],
          WorkingDir: "/srv",
          User: "builder",
          Entrypoint: ["/entry.sh"],
        },
      }),
    );
    const script = [
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell parameter expansion in a job script
      'echo "greeting=$GREETING uid=$(id -u) gid=$(id -g) entry=${FROM_ENTRYPOINT:-no}"',
      "cd /srv && pwd",
    ];
    const withEntrypoint = await host.runJob({ id: 105, image, script: [...script] });
    expect(withEntrypoint.result).toBe("success");
    expect(withEntrypoint.log).toContain("greeting=hi there uid=1000 gid=1000 entry=yes");
    const cleared = await host.runJob({ id: 106, image, entrypoint: [""], script });
    expect(cleared.log).toContain("greeting=hi there uid=1000 gid=1000 entry=no");
  });

  test("runs stage scripts with bash when the image has it, else with sh", async () => {
    const withBash = await pushJobImage(
      registry,
      "with-bash",
      "1",
      await jobImage({
        extra: [
          [
            {
              path: "bin/bash",
              content: '#!/bin/sh\nexport SHELL_USED=bash\nexec /bin/sh "$@"\n',
              mode: 0o755,
            },
          ],
        ],
      }),
    );
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell parameter expansion in a job script
    const script = ['echo "shell=${SHELL_USED:-sh}"'];
    const bash = await host.runJob({ id: 107, image: withBash, script });
    expect(bash.log).toContain("shell=bash");
    const sh = await host.runJob({ id: 108, image: busybox, script });
    expect(sh.log).toContain("shell=sh");
  });

  test("cleanup removes the job's files and keeps the image cache", async () => {
    const run = await host.runJob({
      id: 109,
      image: busybox,
      script: ["echo x > /builds/file", "echo y > /tmp/file"],
    });
    expect(run.result).toBe("success");
    expect(run.stages.at(-1)).toEqual({ stage: "cleanup", exitCode: 0 });
    const jobs = await readdir(join(host.stateDir, "jobs"));
    expect(jobs.filter((name) => name.includes("job-109"))).toEqual([]);
    expect(
      (await readdir(join(host.stateDir, "layers"))).filter((name) => name.startsWith("sha256-")).length,
    ).toBeGreaterThan(0);
    expect(
      (await readdir(join(host.stateDir, "roots"))).filter((name) => name.startsWith("sha256-")).length,
    ).toBeGreaterThan(0);
  });

  test("prepare may be retried: a prepared job is kept as it is", async () => {
    const job = { id: 110, image: busybox, script: [] };
    const first = await host.stage("prepare", job);
    const second = await host.stage("prepare", job);
    expect(first.exitCode).toBe(0);
    expect(second.exitCode).toBe(0);
    expect(second.output).toContain("already prepared");
    expect((await host.stage("cleanup", job)).exitCode).toBe(0);
  });

  test("an image that does not exist is a system failure that names it", async () => {
    const missing = `${registry.host}/no/such-image:1`;
    const run = await host.runJob({ id: 111, image: missing, script: ["true"] });
    expect(run.result).toBe("system_failure");
    expect(run.stages.find((stage) => stage.stage === "prepare")?.exitCode).toBe(SYSTEM_FAILURE_EXIT_CODE);
    expect(run.log).toContain("no/such-image");
    expect(run.stages.at(-1)).toEqual({ stage: "cleanup", exitCode: 0 });
  });
});
