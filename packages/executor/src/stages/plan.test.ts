import { expect, test } from "vitest";
import type { JobState } from "../state/job-state.ts";
import { jobPaths } from "../state/layout.ts";
import { jobEnv } from "./prepare.ts";
import { stagePlan } from "./run.ts";

test("the image's PATH gets the runner tools last, and HOME defaults as in Docker", () => {
  expect(jobEnv(["PATH=/usr/bin:/bin", "A=1"], 0, true)).toEqual([
    "PATH=/usr/bin:/bin:/polyarch/bin",
    "A=1",
    "HOME=/root",
  ]);
  expect(jobEnv(["HOME=/home/x"], 1000, false)).toEqual([
    "HOME=/home/x",
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
  ]);
});

test("a stage's sandbox binds the job's builds, project cache, tmp, helper tools and the script", () => {
  const paths = jobPaths("/state", "runner-1-job-2-0", "project-3");
  const state: JobState = {
    version: 1,
    paths,
    stopGraceSeconds: 10,
    image: {
      reference: "busybox",
      digest: "sha256:1",
      platform: "linux/amd64",
      emulated: false,
      rootKey: "sha256-1",
    },
    helper: {
      reference: "helper",
      digest: "sha256:2",
      root: "/state/roots/sha256-2/tree",
      rootKey: "sha256-2",
    },
    root: { mode: "copy", rootfs: paths.rootfs },
    user: { uid: 0, gid: 0 },
    env: ["PATH=/bin"],
    workingDir: "/",
    entrypoint: ["/entry.sh"],
    shell: "/bin/sh",
    network: "host",
    hostname: "polyarch-job-2",
  };
  const plan = stagePlan(state, "/runner/tmp/script");
  expect(plan.binds).toEqual([
    { source: "/state/jobs/runner-1-job-2-0/builds", target: "/builds", readOnly: false },
    { source: "/state/project-cache/project-3", target: "/cache", readOnly: false },
    { source: "/state/jobs/runner-1-job-2-0/tmp", target: "/tmp", readOnly: false },
    { source: "/state/roots/sha256-2/tree", target: "/polyarch/helper", readOnly: true },
    { source: "/state/jobs/runner-1-job-2-0/tools", target: "/polyarch/bin", readOnly: true },
    { source: "/runner/tmp/script", target: "/polyarch/script", readOnly: true },
  ]);
  expect(plan.command).toEqual(["/entry.sh", "/bin/sh", "/polyarch/script"]);
});
