import { describe, expect, it } from "vitest";
import { hostsWithServices, serviceAliases, serviceCommand, serviceSandboxPlan } from "./plan.ts";

describe("serviceAliases", () => {
  it.each([
    [{ name: "postgres:16" }, ["postgres"]],
    [{ name: "tutum/wordpress:latest" }, ["tutum__wordpress", "tutum-wordpress"]],
    [
      { name: "registry.gitlab-wp.com:4999/tutum/wordpress" },
      ["registry.gitlab-wp.com__tutum__wordpress", "registry.gitlab-wp.com-tutum-wordpress"],
    ],
    [{ name: `redis@sha256:${"a".repeat(64)}`, alias: "cache" }, ["cache", "redis"]],
    [{ name: "mysql:8", alias: "db, db-primary  mysql" }, ["db", "db-primary", "mysql"]],
  ])("gives %j the names %j", (service: { name: string; alias?: string }, aliases) => {
    expect(serviceAliases({ alias: undefined, ...service })).toEqual(aliases);
  });

  it("drops names a hosts file cannot hold", () => {
    expect(serviceAliases({ name: "postgres", alias: "a:b" })).toEqual(["postgres"]);
  });
});

describe("hostsWithServices", () => {
  it("adds the names on loopback after the host's own entries", () => {
    expect(hostsWithServices("127.0.0.1\tlocalhost", ["web", "db"])).toBe(
      "127.0.0.1\tlocalhost\n# services (polyarch-executor)\n127.0.0.1\tweb db\n",
    );
    expect(hostsWithServices("127.0.0.1\tlocalhost\n", [])).toBe("127.0.0.1\tlocalhost\n");
  });
});

describe("serviceCommand", () => {
  const config = { entrypoint: ["docker-entrypoint.sh"], cmd: ["postgres"] };

  it("follows Docker: the image's entrypoint and Cmd, a given command replaces Cmd", () => {
    expect(serviceCommand({ entrypoint: undefined, command: undefined }, config)).toEqual([
      "docker-entrypoint.sh",
      "postgres",
    ]);
    expect(
      serviceCommand({ entrypoint: undefined, command: ["postgres", "-c", "fsync=off"] }, config),
    ).toEqual(["docker-entrypoint.sh", "postgres", "-c", "fsync=off"]);
  });

  it("drops the image's Cmd when the service sets an entrypoint", () => {
    expect(serviceCommand({ entrypoint: ["/bin/sh", "-c"], command: undefined }, config)).toEqual([
      "/bin/sh",
      "-c",
    ]);
  });
});

describe("serviceSandboxPlan", () => {
  it("shares the host's network with the job's hosts file, and binds the job's /builds and its own /tmp", () => {
    const plan = serviceSandboxPlan({
      root: { mode: "copy", rootfs: "/state/jobs/j/services/0/rootfs" },
      builds: "/state/jobs/j/builds",
      tmp: "/state/jobs/j/services/0/tmp",
      user: { uid: 999, gid: 999 },
      env: ["PATH=/bin"],
      workingDir: "/",
      hostname: "db",
      hostsFile: "/state/jobs/j/hosts",
      command: ["postgres"],
      network: "host",
    });
    expect(plan).toMatchObject({ network: "host", hostsFile: "/state/jobs/j/hosts", hostname: "db" });
    expect(plan.binds).toEqual([
      { source: "/state/jobs/j/builds", target: "/builds", readOnly: false },
      { source: "/state/jobs/j/services/0/tmp", target: "/tmp", readOnly: false },
    ]);
    expect(plan.statusFd).toBeUndefined();
  });
});
