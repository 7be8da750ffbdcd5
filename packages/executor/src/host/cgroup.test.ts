import { describe, expect, test } from "vitest";
import {
  type CgroupHost,
  cgroupCheck,
  cpuMax,
  limitFiles,
  neededControllers,
  planJobCgroup,
} from "./cgroup.ts";

/** This machine's shape: cgroup v2 beside v1, hugetlb alone on v2, the runner in a delegated subgroup. */
const hybrid: CgroupHost = {
  mount: "/sys/fs/cgroup/unified",
  rootControllers: ["hugetlb"],
  own: "/sys/fs/cgroup/unified/gitlab-runner.service/runner",
  delegated: { dir: "/sys/fs/cgroup/unified/gitlab-runner.service", controllers: [] },
  user: "gitlab-runner",
};
/** A cgroup v2 host whose systemd unit delegates cpu and memory. */
const unified: CgroupHost = {
  mount: "/sys/fs/cgroup",
  rootControllers: ["cpuset", "cpu", "io", "memory", "pids"],
  own: "/sys/fs/cgroup/system.slice/gitlab-runner.service/runner",
  delegated: {
    dir: "/sys/fs/cgroup/system.slice/gitlab-runner.service",
    controllers: ["cpu", "memory", "pids"],
  },
  user: "gitlab-runner",
};
const undelegated: CgroupHost = {
  mount: "/sys/fs/cgroup",
  rootControllers: ["cpu", "memory"],
  own: "/sys/fs/cgroup/user.slice/session-4.scope",
  user: "gitlab-runner",
};

describe("cpuMax", () => {
  test("is the quota and the 100 ms period in microseconds", () => {
    expect(cpuMax(1.5)).toBe("150000 100000");
    expect(cpuMax(2)).toBe("200000 100000");
    expect(cpuMax(0.01)).toBe("1000 100000");
    expect(cpuMax(0.333)).toBe("33300 100000");
  });
});

describe("neededControllers and limitFiles", () => {
  test("cpu needs the cpu controller and cpu.max", () => {
    expect(neededControllers({ cpu: 1.5 })).toEqual(["cpu"]);
    expect(limitFiles({ cpu: 1.5 })).toEqual([{ name: "cpu.max", value: "150000 100000" }]);
  });

  test("memory needs the memory controller, memory.max in bytes and no swap", () => {
    expect(neededControllers({ memoryBytes: 536870912 })).toEqual(["memory"]);
    expect(limitFiles({ memoryBytes: 536870912 })).toEqual([
      { name: "memory.max", value: "536870912" },
      { name: "memory.swap.max", value: "0" },
    ]);
  });

  test("no limits need nothing", () => {
    expect(neededControllers({})).toEqual([]);
    expect(limitFiles({})).toEqual([]);
  });
});

describe("planJobCgroup", () => {
  test("gives a job its own cgroup under the delegated one with no limit asked, whatever its controllers", () => {
    expect(planJobCgroup(hybrid, {})).toEqual({
      kind: "own",
      parent: "/sys/fs/cgroup/unified/gitlab-runner.service",
      controllers: [],
      enable: [],
      files: [],
    });
  });

  test("enables cpu and memory and writes their files where they are delegated", () => {
    expect(planJobCgroup(unified, { cpu: 2, memoryBytes: 1024 })).toEqual({
      kind: "own",
      parent: "/sys/fs/cgroup/system.slice/gitlab-runner.service",
      controllers: ["cpu", "memory", "pids"],
      enable: ["cpu", "memory"],
      files: [
        { name: "cpu.max", value: "200000 100000" },
        { name: "memory.max", value: "1024" },
        { name: "memory.swap.max", value: "0" },
      ],
    });
  });

  test("refuses limits on this machine's shape, naming what the delegated cgroup and the root have", () => {
    const plan = planJobCgroup(hybrid, { cpu: 1.5, memoryBytes: 536870912 });
    expect(plan).toEqual({
      kind: "refused",
      reason:
        "the delegated cgroup /sys/fs/cgroup/unified/gitlab-runner.service has the controllers none, not cpu memory; the cgroup v2 root (/sys/fs/cgroup/unified) has hugetlb: this host keeps cpu memory on cgroup v1",
      fix: expect.stringMatching(
        /^boot with systemd\.unified_cgroup_hierarchy=1 .*; run gitlab-runner from a systemd unit with Delegate=yes .*; or remove cpu and memory from the executor settings$/,
      ),
    });
  });

  test("refuses memory where only cpu is delegated, and says delegation is the fix", () => {
    const cpuOnly: CgroupHost = {
      ...unified,
      delegated: { dir: "/sys/fs/cgroup/system.slice/gitlab-runner.service", controllers: ["cpu"] },
    };
    const plan = planJobCgroup(cpuOnly, { memoryBytes: 1 });
    expect(plan).toMatchObject({
      kind: "refused",
      reason:
        "the delegated cgroup /sys/fs/cgroup/system.slice/gitlab-runner.service has the controllers cpu, not memory",
    });
    expect(plan.kind === "refused" && plan.fix).toMatch(
      /^run gitlab-runner from a systemd unit with Delegate=/,
    );
  });

  test("without delegation: no cgroup and no refusal without limits, a refusal naming why with them", () => {
    expect(planJobCgroup(undelegated, {})).toEqual({
      kind: "none",
      why: "no cgroup above /sys/fs/cgroup/user.slice/session-4.scope is delegated to gitlab-runner (writable by it)",
    });
    expect(planJobCgroup(undelegated, { cpu: 1 })).toMatchObject({
      kind: "refused",
      reason:
        "no cgroup above /sys/fs/cgroup/user.slice/session-4.scope is delegated to gitlab-runner (writable by it)",
    });
    expect(planJobCgroup({ rootControllers: [], user: "u" }, { memoryBytes: 1 })).toMatchObject({
      kind: "refused",
      reason: "this host has no cgroup v2 hierarchy mounted",
    });
  });
});

describe("cgroupCheck", () => {
  test("says where jobs get their cgroups and with which controllers", () => {
    expect(cgroupCheck(unified, { cpu: 1.5 })).toEqual({
      name: "cgroup limits",
      ok: true,
      detail:
        "each job gets a cgroup of its own under /sys/fs/cgroup/system.slice/gitlab-runner.service (controllers there: cpu memory pids); cpu: 1.5 applied to each",
    });
    expect(cgroupCheck(hybrid, {})).toMatchObject({
      ok: true,
      detail:
        "each job gets a cgroup of its own under /sys/fs/cgroup/unified/gitlab-runner.service (controllers there: none); no cpu or memory limit set",
    });
  });

  test("fails only where limits are asked and refused", () => {
    expect(cgroupCheck(undelegated, {})).toMatchObject({ ok: true });
    expect(cgroupCheck(hybrid, { memoryBytes: 2048 })).toMatchObject({
      ok: false,
      detail: expect.stringMatching(
        /^jobs ask for memory: 2048 bytes, refused at prepare: the delegated cgroup \S+ has the controllers none, not memory/,
      ),
      fix: expect.stringContaining("systemd.unified_cgroup_hierarchy=1"),
    });
  });
});
