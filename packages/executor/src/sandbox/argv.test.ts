import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { describe, expect, test } from "vitest";
import { joinCgroup, overlayOptions, type SandboxPlan, sandboxArgv } from "./argv.ts";

const plan: SandboxPlan = {
  root: { mode: "copy", rootfs: "/state/jobs/j/rootfs" },
  binds: [
    { source: "/state/jobs/j/builds", target: "/builds", readOnly: false },
    { source: "/runner/script", target: "/polyarch/script", readOnly: true },
  ],
  user: { uid: 1000, gid: 100 },
  env: ["PATH=/bin", "EMPTY=", "A=b=c", "not-an-entry"],
  workingDir: "/srv",
  hostname: "polyarch-job-1",
  network: "host",
  command: ["/entry.sh", "/bin/sh", "/polyarch/script"],
  statusFd: 3,
};

describe("sandboxArgv", () => {
  test("a copied root runs bwrap with every namespace, the job's binds, user, env and command", () => {
    expect(sandboxArgv(plan)).toEqual({
      file: "bwrap",
      args: [
        "--unshare-all",
        "--share-net",
        "--unshare-user",
        "--die-with-parent",
        "--new-session",
        "--bind",
        "/state/jobs/j/rootfs",
        "/",
        "--proc",
        "/proc",
        "--dev",
        "/dev",
        "--ro-bind-try",
        "/etc/resolv.conf",
        "/etc/resolv.conf",
        "--ro-bind-try",
        "/etc/hosts",
        "/etc/hosts",
        "--bind",
        "/state/jobs/j/builds",
        "/builds",
        "--ro-bind",
        "/runner/script",
        "/polyarch/script",
        "--uid",
        "1000",
        "--gid",
        "100",
        "--hostname",
        "polyarch-job-1",
        "--clearenv",
        "--setenv",
        "PATH",
        "/bin",
        "--setenv",
        "EMPTY",
        "",
        "--setenv",
        "A",
        "b=c",
        "--chdir",
        "/srv",
        "--json-status-fd",
        "3",
        "--",
        "/entry.sh",
        "/bin/sh",
        "/polyarch/script",
      ],
    });
  });

  test("network none keeps the network namespace unshared and binds no resolver files", () => {
    const { args } = sandboxArgv({ ...plan, network: "none" });
    expect(args).not.toContain("--share-net");
    expect(args).not.toContain("/etc/resolv.conf");
    expect(args.slice(0, 1)).toEqual(["--unshare-all"]);
  });

  test("an overlay root mounts the overlay in a user namespace first, from positional arguments", () => {
    const root = {
      mode: "overlay" as const,
      lower: "/c/roots/r/tree",
      upper: "/j/upper",
      work: "/j/work",
      merged: "/j/merged",
    };
    const argv = sandboxArgv({ ...plan, root });
    expect(argv.file).toBe("unshare");
    expect(argv.args.slice(0, 11)).toEqual([
      "--user",
      "--map-root-user",
      "--mount",
      "--",
      "/bin/sh",
      "-c",
      'mount -t overlay overlay -o "$1" "$2" && shift 2 && exec "$@"',
      "polyarch-overlay",
      "lowerdir=/c/roots/r/tree,upperdir=/j/upper,workdir=/j/work,userxattr",
      "/j/merged",
      "bwrap",
    ]);
    expect(argv.args).toContain("/j/merged");
    expect(argv.args[argv.args.indexOf("--bind") + 1]).toBe("/j/merged");
  });

  test("overlay paths that overlay's option syntax cannot carry are refused", () => {
    expect(() =>
      overlayOptions({ mode: "overlay", lower: "/a,b", upper: "/u", work: "/w", merged: "/m" }),
    ).toThrow(/contains/);
  });
});

describe("sandboxArgv in the job's namespaces", () => {
  const namespace = { holderPid: 41, nestedPid: 42, isolated: true };
  const overlay = {
    mode: "overlay" as const,
    lower: "/state/roots/r/tree",
    upper: "/state/jobs/j/upper",
    work: "/state/jobs/j/work",
    merged: "/state/jobs/j/merged",
  };

  test("root joins the nested full-range namespace with --userns, on the job's own network", () => {
    const argv = sandboxArgv({
      ...plan,
      root: overlay,
      user: { uid: 0, gid: 0 },
      network: "isolated",
      namespace,
    });
    expect(argv.file).toBe("nsenter");
    const bwrapAt = argv.args.indexOf("bwrap");
    expect(argv.args.slice(0, 10)).toEqual([
      "--user=/proc/41/ns/user",
      "--net=/proc/41/ns/net",
      "--setuid=0",
      "--setgid=0",
      "--",
      "unshare",
      "--mount",
      "--",
      "/bin/sh",
      "-c",
    ]);
    expect(argv.args.slice(bwrapAt - 3, bwrapAt)).toEqual([
      overlayOptions(overlay),
      "/state/jobs/j/merged",
      "/proc/42/ns/user",
    ]);
    const bwrap = argv.args.slice(bwrapAt + 1);
    expect(bwrap.slice(0, 6)).toEqual([
      "--userns",
      "5",
      "--unshare-ipc",
      "--unshare-pid",
      "--unshare-uts",
      "--unshare-cgroup-try",
    ]);
    expect(bwrap).not.toContain("--unshare-user");
    expect(bwrap).not.toContain("--unshare-net");
    // buildah's RUN steps bind /sys; such jobs see the host's, read-only.
    expect(bwrap.join(" ")).toContain("--ro-bind /sys /sys");
  });

  test("another user gets a one-uid namespace inside the job's, without capabilities", () => {
    const argv = sandboxArgv({ ...plan, namespace: { holderPid: 41, isolated: false } });
    expect(argv.args).not.toContain("--net=/proc/41/ns/net");
    const bwrapAt = argv.args.indexOf("bwrap");
    expect(argv.args.slice(bwrapAt - 3, bwrapAt)).toEqual(["", "", ""]);
    expect(argv.args.slice(bwrapAt + 1, bwrapAt + 6)).toEqual([
      "--unshare-all",
      "--share-net",
      "--unshare-user",
      "--cap-drop",
      "ALL",
    ]);
    expect(argv.args).not.toContain("/sys");
  });

  test("a one-uid namespace (no subordinate ids) is entered keeping the runner's credentials", () => {
    // It denies setgroups, which nsenter's --setgid calls; the runner is its root already.
    const argv = sandboxArgv({ ...plan, namespace: { holderPid: 41, isolated: true } });
    expect(argv.args.slice(0, 4)).toEqual([
      "--user=/proc/41/ns/user",
      "--net=/proc/41/ns/net",
      "--preserve-credentials",
      "--",
    ]);
  });

  test("an isolated job binds its own resolv.conf, naming its connector's forwarder, over the host's", () => {
    const argv = sandboxArgv({
      ...plan,
      network: "isolated",
      namespace: { holderPid: 41, isolated: true, resolvConf: "/state/jobs/j/resolv.conf" },
    });
    expect(argv.args.join(" ")).toContain("--ro-bind-try /state/jobs/j/resolv.conf /etc/resolv.conf");
    expect(argv.args.join(" ")).not.toContain("--ro-bind-try /etc/resolv.conf /etc/resolv.conf");
  });

  test("network none unshares the network inside the job's namespace", () => {
    const argv = sandboxArgv({
      ...plan,
      user: { uid: 0, gid: 0 },
      network: "none",
      namespace: { ...namespace, isolated: false },
    });
    expect(argv.args).toContain("--unshare-net");
    expect(argv.args).not.toContain("/etc/resolv.conf");
  });
});

describe("sandboxArgv in the job's cgroup", () => {
  test("a shell writes its own pid to the cgroup, then execs the whole sandbox argv", () => {
    const cgroup = "/sys/fs/cgroup/gitlab-runner.service/polyarch-job-runner-7-job-1-1";
    const without = sandboxArgv(plan);
    expect(sandboxArgv({ ...plan, cgroup })).toEqual({
      file: "/bin/sh",
      args: [
        "-c",
        'echo $$ > "$1" && shift && exec "$@"',
        "polyarch-join-cgroup",
        "/sys/fs/cgroup/gitlab-runner.service/polyarch-job-runner-7-job-1-1/cgroup.procs",
        "bwrap",
        ...without.args,
      ],
    });
  });

  test("the shell runs the procs file and the argv as given, never interpolated", () => {
    const dir = mkdtempSync(`${tmpdir()}/join-cgroup-`);
    // A plain directory stands in for the cgroup: the shell's own pid lands in its cgroup.procs.
    const argv = joinCgroup({ file: "sh", args: ["-c", 'echo "pid=$$ arg=$1"', "x", "$(echo no)"] }, dir);
    const out = execFileSync(argv.file, argv.args, { encoding: "utf8" });
    const pid = readFileSync(`${dir}/cgroup.procs`, "utf8").trim();
    rmSync(dir, { recursive: true });
    expect(out).toBe(`pid=${pid} arg=$(echo no)\n`);
  });
});
