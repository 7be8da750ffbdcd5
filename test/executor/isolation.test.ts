import { writeFileSync } from "node:fs";
import { access, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import { networkInterfaces } from "node:os";
import { join } from "node:path";
import { freePort, type Registry, startRegistry, type TempDir, tempDir } from "@polyarch/test-harness";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type DnsServer, startDnsServer } from "./support/dns.ts";
import { EXECUTOR_USER, executorUser, FLAT_USER, pathWithout } from "./support/host-user.ts";
import { httpdImage, jobImage, pushJobImage } from "./support/images.ts";
import { listening } from "./support/listening.ts";
import { hostProcesses, jobConnector } from "./support/processes.ts";
import {
  doctorAsRunnerUser,
  type JobRun,
  type RunnerHost,
  type RunnerHostOptions,
  SYSTEM_FAILURE_EXIT_CODE,
  startRunnerHost,
} from "./support/runner.ts";
import { JOB_TIMEOUT_MS } from "./support/timeouts.ts";

// Full-range user namespaces and a network per job, for real: polyarch-ci has 65536 subordinate ids
// (.ci/system-packages), polyarch-ci-flat has none; pasta connects `network: isolated` jobs, and
// slirp4netns where the runner's PATH lacks pasta (a host without passt: Ubuntu 22.04, Debian 11).
let registry: Registry;
let image: string;
let webA: string;
let webB: string;
/** An image whose layer gives a file and a directory to 1000:1000 in a directory of 0:0. */
let owned: string;
/** The job prints the owners of that file and directory as it sees them. */
const OWNERS_SCRIPT = [
  'echo "file=$(stat -c %u:%g /home/app/notes) dir=$(stat -c %u:%g /home/app) data=$(stat -c %u:%g /home/app/data)"',
];

const APPLETS = ["chown", "su", "wget", "httpd", "sed", "nslookup"];

/** A busybox httpd service on loopback `port` (8080 by default) serving `text`. */
async function web(text: string, tag: string, port = 8080): Promise<string> {
  return pushJobImage(registry, "team/web", tag, await httpdImage(text, port));
}

/**
 * wget that gives up after 5 s. Not `wget -T`: Debian's busybox 1.35 wget segfaults with it once it
 * connects, so a check built on it could never see a reachable port.
 */
const BOUNDED_WGET = "busybox timeout 5 wget -qO-";

/** An HTTP server on `address` (a port of its own) answering `text`, as a host service. */
async function serve(address: string, text: string): Promise<{ port: number; close: () => void }> {
  const server = createServer((_request, response) => response.end(text));
  await new Promise<void>((resolve) => server.listen(0, address, resolve));
  return { port: (server.address() as { port: number }).port, close: () => server.close() };
}

/** A host without passt (Ubuntu 22.04, Debian 11): the runner's PATH lacks pasta, has slirp4netns. */
const WITHOUT_PASTA: RunnerHostOptions = {
  env: (dir) => ({ PATH: pathWithout(["pasta"], join(dir, "bin")) }),
};

beforeAll(async () => {
  registry = await startRegistry();
  image = await pushJobImage(
    registry,
    "team/tools",
    "1",
    await jobImage({
      extra: [
        APPLETS.map((applet) => ({ path: `bin/${applet}`, type: "symlink" as const, linkname: "busybox" })),
      ],
    }),
  );
  owned = await pushJobImage(
    registry,
    "team/owned",
    "1",
    await jobImage({
      extra: [
        [
          { path: "home/", type: "directory" },
          { path: "home/app/", type: "directory", owner: [0, 0] },
          { path: "home/app/notes", content: "the app's\n", owner: [1000, 1000] },
          // A directory of another uid with a file: the runner's own uid cannot empty it on the host.
          { path: "home/app/data/", type: "directory", owner: [1000, 1000] },
          { path: "home/app/data/log", content: "", owner: [1000, 1000] },
        ],
      ],
    }),
  );
  webA = await web("service of job A\n", "a");
  webB = await web("service of job B\n", "b");
}, JOB_TIMEOUT_MS);

afterAll(async () => {
  await registry?.stop();
}, JOB_TIMEOUT_MS);

describe("a runner user with subordinate ids", { timeout: JOB_TIMEOUT_MS }, () => {
  let host: RunnerHost;
  beforeAll(async () => {
    host = await startRunnerHost({
      network: "isolated",
      isolated_host_ports: [Number(registry.host.split(":")[1])],
    });
  }, JOB_TIMEOUT_MS);
  afterAll(async () => {
    await host?.remove();
  });

  test("runs root jobs in a namespace of 65536 ids: chown to another uid, su to an added user work", async () => {
    const run = await host.runJob({
      id: 2101,
      image,
      script: [
        'echo "uid=$(id -u)"',
        "sed 's/  */ /g' /proc/self/uid_map",
        'touch owned && chown 1234:2345 owned && echo "owner=$(stat -c %u:%g owned)"',
        // Debian's busybox has no adduser applet: add the user as adduser would, then switch to it.
        "echo 'builder2:x:4321:4321::/:/bin/sh' >> /etc/passwd && echo 'builder2:x:4321:' >> /etc/group",
        "su builder2 -c 'echo \"su=$(id -u):$(id -g)\"'",
      ],
    });
    expect(run.result, run.log).toBe("success");
    expect(run.log).toContain("uid=0");
    expect(run.log).toMatch(/ 0 0 1\n 1 1 65535/);
    expect(run.log).toContain("owner=1234:2345");
    expect(run.log).toContain("su=4321:4321");
    expect(run.log).not.toContain("subordinate uids");
  });

  test("keeps the image's owners: 1000:1000 inside is the runner's subordinate id 999 above its start on the host", async () => {
    const run = await host.runJob({ id: 2111, image: owned, script: OWNERS_SCRIPT });
    expect(run.result, run.log).toBe("success");
    expect(run.log).toContain("file=1000:1000 dir=0:0 data=1000:1000");
    // /etc/subuid and /etc/subgid as .ci/system-packages wrote them: `polyarch-ci:START:65536`.
    const start = async (file: string) =>
      Number(
        (await readFile(file, "utf8"))
          .split("\n")
          .find((line) => line.startsWith(`${EXECUTOR_USER}:`))
          ?.split(":")[1],
      );
    const roots = join(host.stateDir, "roots");
    const trees = (await readdir(roots)).filter((name) => !name.startsWith("."));
    const files = await Promise.all(
      trees.map((name) => stat(join(roots, name, "tree/home/app/notes")).catch(() => undefined)),
    );
    const notes = files.filter((file) => file !== undefined);
    expect(notes).toHaveLength(1);
    expect(notes[0]?.uid).toBe((await start("/etc/subuid")) + 999);
    expect(notes[0]?.gid).toBe((await start("/etc/subgid")) + 999);
    const dir = await stat(join(roots, trees[files.indexOf(notes[0])] as string, "tree/home/app"));
    expect(dir.uid).toBe(executorUser().uid);
  });

  test("cleanup removes what the job gave other uids, in its directories and its root", async () => {
    const run = await host.runJob({
      id: 2110,
      image,
      script: [
        "mkdir -p /builds/theirs/deeper /srv/theirs && touch /builds/theirs/deeper/f /srv/theirs/f",
        "chown -R 1234:1234 /builds/theirs /srv/theirs && chmod -R go-w /builds/theirs /srv/theirs",
      ],
    });
    expect(run.result, run.log).toBe("success");
    expect(run.log).not.toContain("cleanup incomplete");
    expect((await import("node:fs")).readdirSync(join(host.stateDir, "jobs"))).not.toContain(
      expect.stringContaining("job-2110"),
    );
  });

  test("gives two concurrent jobs a network each: both run a service on 8080 and reach their own", async () => {
    const runs = await twoJobsServingOnOnePort(host, [2102, 2103]);
    for (const run of runs) expect(run.log).toMatch(/^nameserver 169\.254\.1\.1$/m);
  });

  test("reaches a host loopback registry the settings forward, and no other host port", async () => {
    // Another server on the host's loopback, on a port the settings do not forward.
    const other = await serve("127.0.0.1", "another host port\n");
    try {
      const run = await host.runJob({
        id: 2104,
        image,
        script: [
          `wget -qO- http://${registry.host}/v2/ && echo " reached the registry"`,
          `if ${BOUNDED_WGET} http://127.0.0.1:${other.port}/ 2>/dev/null; then echo reached-port-$((0+1)); fi`,
        ],
      });
      expect(run.result, run.log).toBe("success");
      expect(run.log).toContain("{} reached the registry");
      expect(run.log).not.toContain("reached-port-1");
    } finally {
      other.close();
    }
  });
});

describe("an isolated job's services", { timeout: JOB_TIMEOUT_MS }, () => {
  // prepare probes a service's exposed ports from inside the job's network, as on the host's.
  test("are waited for: a service that listens only after 3 s answers the job's first request", async () => {
    const slow = await pushJobImage(
      registry,
      "team/slow-web",
      "1",
      await httpdImage("the slow service\n", 8080, { delaySeconds: 3 }),
    );
    const host = await startRunnerHost({ network: "isolated" });
    try {
      const run = await host.runJob({
        id: 2116,
        image,
        services: [{ name: slow, alias: "web" }],
        script: ["wget -qO- http://web:8080/"],
      });
      expect(run.result, run.log).toBe("success");
      expect(run.log).toContain("the slow service");
      expect(run.log).not.toContain("WARNING: service");
    } finally {
      await host.remove();
    }
  });

  test("that never answer are a warning with the service's log, and the job still runs", async () => {
    const silent = await pushJobImage(
      registry,
      "team/silent",
      "1",
      await jobImage({
        runtime: {
          Cmd: ["/bin/sh", "-c", "echo listening soon && exec sleep 600"],
          ExposedPorts: { "5432/tcp": {} },
          Env: ["PATH=/bin"],
        },
      }),
    );
    const host = await startRunnerHost({ network: "isolated", services_timeout: 2 });
    try {
      const run = await host.runJob({
        id: 2117,
        image,
        services: [{ name: silent, alias: "db" }],
        script: ["echo the script ran"],
      });
      expect(run.result, run.log).toBe("success");
      expect(run.log).toMatch(
        /WARNING: service \S+ does not answer on port 5432 after 2 s; it probably did not start\. Its last lines:\n {2}listening soon\n/,
      );
      expect(run.log).toContain("the script ran");
    } finally {
      await host.remove();
    }
  });
});

describe("an isolated job on a host whose resolver is on its loopback", { timeout: JOB_TIMEOUT_MS }, () => {
  // systemd-resolved's 127.0.0.53, here 127.0.0.153: the job's own loopback has no resolver, so its
  // queries go to pasta's forwarder, which asks the host's.
  let dns: DnsServer;
  let files: TempDir;

  beforeAll(async () => {
    dns = await startDnsServer("127.0.0.153", "registry.polyarch.test", "127.0.0.1");
    files = await tempDir("polyarch-resolv-");
  });

  afterAll(async () => {
    await dns?.stop();
    await files?.remove();
  });

  test("resolves names through the host's resolver, and keeps the host's search list", async () => {
    const resolvConf = join(files.path, "resolv.conf");
    await writeFile(resolvConf, "nameserver 127.0.0.153\nsearch polyarch.test\noptions ndots:1\n");
    const port = registry.host.split(":")[1];
    const host = await startRunnerHost(
      { network: "isolated", isolated_host_ports: [Number(port)] },
      { resolvConf },
    );
    try {
      const run = await host.runJob({
        id: 2115,
        image,
        script: [
          "cat /etc/resolv.conf",
          `wget -qO- http://registry.polyarch.test:${port}/v2/ && echo " reached by name"`,
        ],
      });
      expect(run.result, run.log).toBe("success");
      expect(run.log).toContain("{} reached by name");
      expect(run.log).toMatch(/^nameserver 169\.254\.1\.1\nsearch polyarch\.test\noptions ndots:1$/m);
      expect(run.log).not.toContain("127.0.0.153");
      expect(dns.queries).toContain("registry.polyarch.test");
    } finally {
      await host.remove();
    }
  });

  test("resolves names through slirp4netns's forwarder (10.0.2.3) on a host without pasta", async () => {
    const resolvConf = join(files.path, "resolv.conf");
    await writeFile(resolvConf, "nameserver 127.0.0.153\nsearch polyarch.test\noptions ndots:1\n");
    const host = await startRunnerHost({ network: "isolated" }, { resolvConf, ...WITHOUT_PASTA });
    const asked = dns.queries.length;
    try {
      const run = await host.runJob({
        id: 2121,
        image,
        script: ["cat /etc/resolv.conf", "nslookup registry.polyarch.test"],
      });
      expect(run.result, run.log).toBe("success");
      expect(run.log).toMatch(/^nameserver 10\.0\.2\.3\nsearch polyarch\.test\noptions ndots:1$/m);
      expect(run.log).toMatch(/Name:\s+registry\.polyarch\.test\nAddress:\s+127\.0\.0\.1/);
      expect(dns.queries.slice(asked)).toContain("registry.polyarch.test");
    } finally {
      await host.remove();
    }
  });
});

describe("a runner user with subordinate ids and copied roots", { timeout: JOB_TIMEOUT_MS }, () => {
  test("copies the owned root as the namespace's root, and evicts it later though the runner cannot", async () => {
    // A cache of 1 KiB: each prepare evicts every root no prepared job runs on.
    const host = await startRunnerHost({ root: "copy", cache: { max_size: "1KiB" } });
    try {
      const first = await host.runJob({ id: 2113, image: owned, script: OWNERS_SCRIPT });
      expect(first.result, first.log).toBe("success");
      expect(first.log).toContain("root: copy");
      expect(first.log).toContain("file=1000:1000 dir=0:0 data=1000:1000");
      const rootsDir = join(host.stateDir, "roots");
      const ownedRoots = (await readdir(rootsDir)).filter((name) => !name.startsWith("."));
      expect(ownedRoots).toHaveLength(1);
      const second = await host.runJob({ id: 2114, image, script: ["true"] });
      expect(second.result, second.log).toBe("success");
      expect(second.log).not.toContain("cache eviction skipped");
      const left = await readdir(rootsDir);
      expect(left).not.toContain(ownedRoots[0]);
      expect(left.filter((name) => name.startsWith(".evicted-"))).toEqual([]);
      expect(await readdir(join(host.stateDir, "jobs"))).toEqual([]);
    } finally {
      await host.remove();
    }
  });
});

describe("a runner user without subordinate ids", { timeout: JOB_TIMEOUT_MS }, () => {
  test("runs jobs with one uid, and the job log says what will not work and how to add ids", async () => {
    const host = await startRunnerHost({}, { user: FLAT_USER });
    try {
      const run = await host.runJob({
        id: 2105,
        image,
        script: [
          "sed 's/  */ /g' /proc/self/uid_map",
          "if chown 1234 /tmp 2>/dev/null; then echo chown-$((0+1)); fi",
        ],
      });
      expect(run.result, run.log).toBe("success");
      expect(run.log).toContain("WARNING: the runner's user has no 65536 subordinate uids");
      expect(run.log).toContain(
        `usermod --add-subuids 100000-165535 --add-subgids 100000-165535 ${FLAT_USER}`,
      );
      expect(run.log).not.toContain("1 1 65535");
      expect(run.log).not.toContain("chown-1");
      // Owners are not kept with one uid: the image's file of 1000:1000 is root's inside, as every file.
      const owners = await host.runJob({ id: 2112, image: owned, script: OWNERS_SCRIPT });
      expect(owners.result, owners.log).toBe("success");
      expect(owners.log).toContain("file=0:0 dir=0:0 data=0:0");
    } finally {
      await host.remove();
    }
  });

  test("cleanup ends the one-uid holder of an isolated job's namespaces", async () => {
    const host = await startRunnerHost({ network: "isolated" }, { user: FLAT_USER });
    try {
      const { step, finish } = await host.startStep({ id: 2118, image, script: ["true"] });
      const jobs = join(host.stateDir, "jobs");
      const name = (await readdir(jobs)).find((entry) => entry.includes("-job-2118-"));
      const record = JSON.parse(await readFile(join(jobs, String(name), "namespace.json"), "utf8"));
      const holder = record.holderPid as number;
      expect(await readFile(`/proc/${holder}/cmdline`, "utf8")).toContain("polyarch-job-namespace-holder");
      expect((await step).exitCode).toBe(0);
      await finish();
      // cleanup SIGKILLs it: wait for it to be gone or a zombie (a wait, not a measure).
      const ended = async () => {
        const stat = await readFile(`/proc/${holder}/stat`, "utf8").catch(() => "");
        return stat === "" || stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z");
      };
      for (let tries = 0; tries < 200 && !(await ended()); tries += 1) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(await ended(), `holder ${holder} still runs after cleanup`).toBe(true);
    } finally {
      await host.remove();
    }
  });
});

describe("the default network (no network setting)", { timeout: JOB_TIMEOUT_MS }, () => {
  test.each([
    ["pasta", 2110, {}],
    ["slirp4netns", 2126, WITHOUT_PASTA],
  ] as const)(
    "is the job's own through %s where it is the first connector on PATH: its service is not on the host's port, the job reaches it, and cleanup stops the connector",
    async (kind, id, options) => {
      const host = await startRunnerHost({}, options);
      try {
        const port = await freePort();
        const job = {
          id,
          image,
          services: [{ name: await web(`own network through ${kind}\n`, kind, port), alias: "web" }],
          script: [`wget -qO- http://web:${port}/`],
        };
        const prepared = await host.stage("prepare", job);
        expect(prepared.exitCode, prepared.output).toBe(0);
        expect(prepared.output).not.toContain("shares the host's network");
        expect(await listening(port)).toBe(false);
        const connector = await jobConnector(host.stateDir);
        expect(connector.kind).toBe(kind);
        expect(connector.processes.map((found) => found.pid)).toEqual([connector.pid]);
        const run = await host.runJob(job);
        expect(run.result, run.log).toBe("success");
        expect(run.log).toContain(`own network through ${kind}`);
        expect(await hostProcesses(connector.pattern)).toEqual([]);
      } finally {
        await host.remove();
      }
    },
  );

  test("is the host's, with a warning naming passt and slirp4netns, on a host with neither", async () => {
    const host = await startRunnerHost(
      {},
      { env: (dir) => ({ PATH: pathWithout(["pasta", "slirp4netns"], join(dir, "bin")) }) },
    );
    try {
      const port = await freePort();
      const job = {
        id: 2111,
        image,
        services: [{ name: await web("shared\n", "shared", port) }],
        script: [],
      };
      const prepared = await host.stage("prepare", job);
      expect(prepared.exitCode, prepared.output).toBe(0);
      expect(prepared.output).toMatch(
        /WARNING: this job shares the host's network .*: neither pasta nor slirp4netns is installed\. Fix: apt-get install passt \(or dnf install passt\); where passt is not packaged \(Ubuntu 22\.04, Debian 11\): apt-get install slirp4netns;/,
      );
      expect(await listening(port)).toBe(true);
      await host.stage("cleanup", job);
      expect(await listening(port)).toBe(false);
    } finally {
      await host.remove();
    }
  });
});

describe("a host without pasta, with slirp4netns", { timeout: JOB_TIMEOUT_MS }, () => {
  let host: RunnerHost;
  beforeAll(async () => {
    host = await startRunnerHost({ network: "isolated" }, WITHOUT_PASTA);
  }, JOB_TIMEOUT_MS);
  afterAll(async () => {
    await host?.remove();
  });

  test("gives two concurrent jobs a network each: both run a service on 8080 and reach their own", async () => {
    const runs = await twoJobsServingOnOnePort(host, [2122, 2123]);
    // slirp4netns's forwarder, not pasta's: pasta is not on this runner's PATH.
    for (const run of runs) expect(run.log).toMatch(/^nameserver 10\.0\.2\.3$/m);
  });

  test("connects a job outwards (a server on the host's own address) and keeps the host's loopback closed", async () => {
    const address = Object.values(networkInterfaces())
      .flat()
      .find((entry) => entry?.family === "IPv4" && !entry.internal)?.address;
    if (address === undefined) throw new Error("this host has no IPv4 address but loopback to serve on");
    const server = await serve(address, "reached the host\n");
    try {
      const run = await host.runJob({
        id: 2124,
        image,
        script: [
          `wget -qO- http://${address}:${server.port}/`,
          // The registry listens on the host's loopback; 10.0.2.2 would be it without --disable-host-loopback.
          `if ${BOUNDED_WGET} http://10.0.2.2:${registry.host.split(":")[1]}/v2/ 2>/dev/null; then echo reached-loopback-$((0+1)); fi`,
        ],
      });
      expect(run.result, run.log).toBe("success");
      expect(run.log).toContain("reached the host");
      expect(run.log).not.toContain("reached-loopback-1");
    } finally {
      server.close();
    }
  });

  test("refuses isolated_host_ports at prepare, naming the setting and passt, and starts nothing", async () => {
    const port = Number(registry.host.split(":")[1]);
    const refusing = await startRunnerHost(
      { network: "isolated", isolated_host_ports: [port] },
      WITHOUT_PASTA,
    );
    try {
      const prepared = await refusing.stage("prepare", { id: 2125, image, script: [] });
      expect(prepared.exitCode, prepared.output).toBe(SYSTEM_FAILURE_EXIT_CODE);
      expect(prepared.output).toContain(
        `isolated_host_ports (${port}) needs pasta, which this host lacks: slirp4netns, its connector here, can open the host's whole loopback to a job or none of it, not chosen ports`,
      );
      expect(prepared.output).toContain("apt-get install passt (or dnf install passt)");
      expect(await readdir(join(refusing.stateDir, "jobs")).catch(() => [])).toEqual([]);
    } finally {
      await refusing.remove();
    }
  });

  test("that fails to start fails prepare with its own words, and leaves no holder", async () => {
    // A fault: slirp4netns answers --version, then fails as it does where /dev/net/tun is closed.
    const failing = await startRunnerHost(
      { network: "isolated" },
      {
        env: (dir) => {
          const bin = pathWithout(["pasta", "slirp4netns"], join(dir, "bin"));
          writeFileSync(
            join(bin, "slirp4netns"),
            `#!/bin/sh\n[ "$1" = --version ] && exec /usr/bin/slirp4netns --version\necho 'open("/dev/net/tun"): Permission denied' >&2\nexit 1\n`,
            { mode: 0o755 },
          );
          return { PATH: bin };
        },
      },
    );
    try {
      const prepared = await failing.stage("prepare", { id: 2129, image, script: [] });
      expect(prepared.exitCode, prepared.output).toBe(SYSTEM_FAILURE_EXIT_CODE);
      expect(prepared.output).toMatch(
        /the job's namespaces did not come up: open\("\/dev\/net\/tun"\): Permission denied/,
      );
      expect(await hostProcesses(new RegExp(`polyarch-job-namespace-holder ${failing.stateDir}/`))).toEqual(
        [],
      );
    } finally {
      await failing.remove();
    }
  });

  test("left by a runner killed after prepare, is stopped by the next prepare", async () => {
    const prepared = await host.stage("prepare", { id: 2127, image, script: [] }, { runnerExits: true });
    expect(prepared.exitCode, prepared.output).toBe(0);
    const slirp = await jobConnector(host.stateDir);
    expect(slirp.processes).toHaveLength(1);
    const next = await host.runJob({ id: 2128, image, script: ["true"] });
    expect(next.result, next.log).toBe("success");
    expect(next.log).toMatch(/stopping job \S+, left by a runner that is gone/);
    expect(await hostProcesses(slirp.pattern)).toEqual([]);
  });

  test("doctor names slirp4netns as the connector jobs get, and what pasta would add", async () => {
    const doctor = await doctorAsRunnerUser(host);
    expect(doctor.stdout).toMatch(
      /^ok +network connector: slirp4netns version \S+ connects jobs' own networks \(pasta not found; isolated_host_ports would need it\)$/m,
    );
  });
});

describe("a runner killed before cleanup", { timeout: JOB_TIMEOUT_MS }, () => {
  test("leaves a job whose service, namespace and directory the next prepare stops and removes", async () => {
    // On the host's network: the test sees the left service's port from the host.
    const host = await startRunnerHost({ network: "host" });
    try {
      const port = await freePort();
      const left = {
        id: 2106,
        image,
        services: [{ name: await web("left behind\n", "left", port) }],
        script: [],
      };
      const prepared = await host.stage("prepare", left, { runnerExits: true });
      expect(prepared.exitCode, prepared.output).toBe(0);
      const jobDir = join(
        host.stateDir,
        "jobs",
        (await import("node:fs")).readdirSync(join(host.stateDir, "jobs"))[0] as string,
      );
      const holder = (
        JSON.parse(await readFile(join(jobDir, "namespace.json"), "utf8")) as { holderPid: number }
      ).holderPid;
      expect(await listening(port)).toBe(true);
      expect(await running(holder)).toBe(true);

      const next = await host.runJob({ id: 2107, image, script: ["true"] });
      expect(next.result, next.log).toBe("success");
      expect(next.log).toMatch(/stopping job \S+, left by a runner that is gone/);
      expect(await listening(port)).toBe(false);
      expect(await running(holder)).toBe(false);
      await expect(access(jobDir)).rejects.toThrow();
    } finally {
      await host.remove();
    }
  });

  test("leaves a job whose runner still runs alone", async () => {
    const host = await startRunnerHost({ network: "host" });
    try {
      const port = await freePort();
      const job = {
        id: 2108,
        image,
        services: [{ name: await web("still wanted\n", "wanted", port) }],
        script: [],
      };
      expect((await host.stage("prepare", job)).exitCode).toBe(0);
      const next = await host.runJob({ id: 2109, image, script: ["true"] });
      expect(next.result, next.log).toBe("success");
      expect(next.log).not.toContain("left by a runner");
      expect(await listening(port)).toBe(true);
      await host.stage("cleanup", job);
      expect(await listening(port)).toBe(false);
    } finally {
      await host.remove();
    }
  });
});

describe("doctor --cleanup", { timeout: JOB_TIMEOUT_MS }, () => {
  test("stops a left job's service and namespace and removes its directory; a live job is kept", async () => {
    // On the host's network: the test sees both services' ports from the host.
    const host = await startRunnerHost({ network: "host" });
    try {
      const [leftPort, livePort] = [await freePort(), await freePort()];
      const left = {
        id: 2112,
        image,
        services: [{ name: await web("left\n", "left2", leftPort) }],
        script: [],
      };
      const live = {
        id: 2113,
        image,
        services: [{ name: await web("live\n", "live", livePort) }],
        script: [],
      };
      // The live job first: a prepare after the left one would remove it itself.
      expect((await host.stage("prepare", live)).exitCode).toBe(0);
      expect((await host.stage("prepare", left, { runnerExits: true })).exitCode).toBe(0);
      const jobs = join(host.stateDir, "jobs");
      const [leftDir, liveDir] = await Promise.all(
        [left, live].map(async (job) => {
          for (const name of await readdir(jobs)) {
            const response = await readFile(join(jobs, name, "job.json"), "utf8");
            if (response.includes(`polyarch-job-${job.id}"`)) return join(jobs, name);
          }
          throw new Error(`no directory for job ${job.id}`);
        }),
      );
      const holder = (
        JSON.parse(await readFile(join(leftDir as string, "namespace.json"), "utf8")) as { holderPid: number }
      ).holderPid;
      expect(await listening(leftPort)).toBe(true);
      expect(await doctorAsRunnerUser(host)).toMatchObject({
        exitCode: 1,
        stdout: expect.stringMatching(
          /^MISSING left jobs: 1 left by a runner that is gone.*\n +fix: polyarch-executor doctor --cleanup/m,
        ),
      });

      const doctor = await doctorAsRunnerUser(host, "--cleanup");
      expect(doctor.exitCode, doctor.stdout).toBe(0);
      expect(doctor.stdout).toContain(`polyarch-executor: removed ${leftDir}\n`);
      expect(doctor.stdout).toMatch(/^ok +left jobs: no job left by a runner that is gone$/m);
      expect(await listening(leftPort)).toBe(false);
      expect(await running(holder)).toBe(false);
      await expect(access(leftDir as string)).rejects.toThrow();
      expect(await listening(livePort)).toBe(true);
      await access(join(liveDir as string, "job.json"));
      await host.stage("cleanup", live);
      expect(await listening(livePort)).toBe(false);
    } finally {
      await host.remove();
    }
  });
});

/**
 * Runs two jobs at once on `host`, each with busybox httpd on 8080 as its service `web`, and checks
 * that each reached its own and that neither service was on the host's network.
 */
async function twoJobsServingOnOnePort(host: RunnerHost, ids: [number, number]): Promise<JobRun[]> {
  const job = (id: number, service: string) =>
    host.runJob({
      id,
      image,
      services: [{ name: service, alias: "web" }],
      script: ["cat /etc/resolv.conf", "wget -qO- http://web:8080/"],
    });
  const [a, b] = await Promise.all([job(ids[0], webA), job(ids[1], webB)]);
  expect(a.result, a.log).toBe("success");
  expect(b.result, b.log).toBe("success");
  expect(a.log).toContain("service of job A");
  expect(a.log).not.toContain("service of job B");
  expect(b.log).toContain("service of job B");
  expect(b.log).not.toContain("service of job A");
  expect(await listening(8080)).toBe(false);
  return [a, b];
}

/** Whether `pid` is a live process (not a zombie). */
async function running(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => "");
  return stat !== "" && stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
}
