import { access, readFile } from "node:fs/promises";
import { join } from "node:path";
import { freePort, type Registry, startRegistry } from "@polyarch/test-harness";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { httpdImage, jobImage, pushJobImage } from "./support/images.ts";
import { listening } from "./support/listening.ts";
import { type RunnerHost, startRunnerHost } from "./support/runner.ts";
import { JOB_TIMEOUT_MS } from "./support/timeouts.ts";

// `services:` for real: busybox's httpd as the service, in a sandbox of its own on the host's network,
// reached from the job by its aliases through the job's /etc/hosts; cleanup stops it.
let registry: Registry;
let host: RunnerHost;
let client: string;

/** An image whose Cmd serves `text` over HTTP on loopback `port`, which its config exposes. */
async function webService(port: number, text: string, repository = "team/web"): Promise<string> {
  return pushJobImage(registry, repository, `p${port}`, await httpdImage(text, port));
}

beforeAll(async () => {
  registry = await startRegistry();
  client = await pushJobImage(
    registry,
    "team/client",
    "1",
    await jobImage({ extra: [[{ path: "bin/wget", type: "symlink", linkname: "busybox" }]] }),
  );
  // These tests are about services on the host's network (ports checked from the host, a port taken).
  host = await startRunnerHost({ network: "host" });
}, JOB_TIMEOUT_MS);

afterAll(async () => {
  await host?.remove();
  await registry?.stop();
}, JOB_TIMEOUT_MS);

describe("a job with services", { timeout: JOB_TIMEOUT_MS }, () => {
  test("reaches each service by its alias and its image name, and cleanup stops it", async () => {
    const port = await freePort();
    const service = await webService(port, "served by the service\n");
    const run = await host.runJob({
      id: 501,
      image: client,
      services: [{ name: service, alias: "web" }],
      script: [
        `wget -qO- http://web:${port}/`,
        // The image's own names, without the registry's port: 127.0.0.1-team-web, 127.0.0.1__team__web.
        `wget -qO- http://127.0.0.1-team-web:${port}/`,
        "grep -c '127.0.0.1__team__web' /etc/hosts",
      ],
    });
    expect(run.result, run.log).toBe("success");
    expect(run.log).toContain(`starting service ${service} as web, 127.0.0.1__team__web, 127.0.0.1-team-web`);
    expect(run.log.match(/served by the service/g)?.length).toBe(2);
    expect(await listening(port)).toBe(false);
  });

  test("gives the service its variables and command", async () => {
    const port = await freePort();
    const service = await webService(port, "unused\n");
    const run = await host.runJob({
      id: 502,
      image: client,
      services: [
        {
          name: service,
          alias: "echo",
          entrypoint: ["/bin/sh", "-c"],
          command: [
            `mkdir -p /tmp/www && echo "greeting=$GREETING job=$CI_JOB_ID" > /tmp/www/index.html && exec /bin/httpd -f -p 127.0.0.1:${port} -h /tmp/www`,
          ],
          variables: [{ key: "GREETING", value: "hello from the service's variables" }],
        },
      ],
      script: [`wget -qO- http://echo:${port}/`],
    });
    expect(run.result, run.log).toBe("success");
    expect(run.log).toContain("greeting=hello from the service's variables job=502");
  });

  test("starts a service whose image name is longer than a host name may be", async () => {
    const port = await freePort();
    const service = await webService(
      port,
      "long name served\n",
      `team/${"a-very-long-service-name".repeat(4)}`,
    );
    const run = await host.runJob({
      id: 505,
      image: client,
      services: [{ name: service }],
      script: [`wget -qO- http://127.0.0.1:${port}/`],
    });
    expect(run.result, run.log).toBe("success");
    expect(run.log).toContain("long name served");
  });

  test("is a system failure when a service's port is taken on the host, and runs no script", async () => {
    const port = await freePort();
    const service = await webService(port, "unused\n");
    const { createServer } = await import("node:net");
    const squatter = createServer().listen(port, "127.0.0.1");
    await new Promise((resolve) => squatter.once("listening", resolve));
    try {
      const run = await host.runJob({
        id: 503,
        image: client,
        services: [{ name: service, alias: "web" }],
        script: ["echo never"],
      });
      expect(run.result).toBe("system_failure");
      expect(run.log).toContain(`exposes port ${port}, which something on this host already listens on`);
      expect(run.log).not.toContain("never");
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
  });

  test("keeps a running service's root when another job's prepare evicts the cache", async () => {
    const tight = await startRunnerHost({ network: "host", cache: { max_size: 1 } });
    try {
      const port = await freePort();
      const service = await webService(port, "still served\n");
      const withService = { id: 506, image: client, services: [{ name: service, alias: "web" }], script: [] };
      expect((await tight.stage("prepare", withService)).exitCode).toBe(0);
      const state = JSON.parse(
        await readFile(join(tight.stateDir, "jobs", await onlyJobDir(tight.stateDir), "job.json"), "utf8"),
      ) as { serviceRootKeys: string[] };
      const other = await pushJobImage(
        registry,
        "team/other",
        "1",
        await jobImage({ extra: [[{ path: "other", content: "x" }]] }),
      );
      const evicting = await tight.stage("prepare", { id: 507, image: other, script: [] });
      expect(evicting.exitCode, evicting.output).toBe(0);
      for (const key of state.serviceRootKeys) await access(join(tight.stateDir, "roots", key, "tree"));
      expect(await listening(port)).toBe(true);
      for (const job of [withService, { id: 507, image: other, script: [] }])
        await tight.stage("cleanup", job);
      expect(await listening(port)).toBe(false);
    } finally {
      await tight.remove();
    }
  });

  test("warns at once, with its last lines, when a service exits instead of answering", async () => {
    const port = await freePort();
    const service = await webService(port, "unused\n");
    const run = await host.runJob({
      id: 508,
      image: client,
      services: [
        {
          name: service,
          alias: "broken",
          entrypoint: ["/bin/sh", "-c"],
          command: ["echo 'broken: no config'; exit 3"],
        },
      ],
      script: ["echo the script ran"],
    });
    expect(run.result, run.log).toBe("success");
    expect(run.log).toContain(`WARNING: service ${service} has exited. Its last lines:\n  broken: no config`);
  });

  test("warns with the service's last lines when it does not answer in time, and the job still runs", async () => {
    const slow = await startRunnerHost({ network: "host", services_timeout: 1 });
    try {
      const port = await freePort();
      const service = await webService(port, "unused\n");
      const run = await slow.runJob({
        id: 504,
        image: client,
        services: [
          {
            name: service,
            alias: "mute",
            entrypoint: ["/bin/sh", "-c"],
            command: ["echo 'mute service: listening nowhere'; exec sleep 60"],
          },
        ],
        script: ["echo the script ran"],
      });
      expect(run.result, run.log).toBe("success");
      expect(run.log).toContain(`WARNING: service ${service} does not answer on port ${port} after 1 s`);
      expect(run.log).toContain("  mute service: listening nowhere");
      expect(run.log).toContain("the script ran");
    } finally {
      await slow.remove();
    }
  });
});

/** The one job directory prepare made in `stateDir`. */
async function onlyJobDir(stateDir: string): Promise<string> {
  const { readdir } = await import("node:fs/promises");
  const names = await readdir(join(stateDir, "jobs"));
  if (names.length !== 1) throw new Error(`expected one job directory, found ${names.join(", ")}`);
  return names[0] as string;
}
