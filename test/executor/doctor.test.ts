import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { FLAT_USER } from "./support/host-user.ts";
import { FOREIGN_ARCH } from "./support/images.ts";
import { doctorAsRunnerUser, type RunnerHost, startRunnerHost } from "./support/runner.ts";
import { JOB_TIMEOUT_MS } from "./support/timeouts.ts";

let host: RunnerHost;

beforeAll(async () => {
  host = await startRunnerHost({ emulation: true });
}, JOB_TIMEOUT_MS);

afterAll(async () => {
  await host?.remove();
}, JOB_TIMEOUT_MS);

describe("polyarch-executor doctor", { timeout: JOB_TIMEOUT_MS }, () => {
  test("as the runner's user on this host finds everything it needs", async () => {
    const result = await doctorAsRunnerUser(host);
    expect({ exitCode: result.exitCode, stdout: result.stdout }).toEqual({
      exitCode: 0,
      stdout: expect.any(String),
    });
    for (const check of [
      "user",
      "bubblewrap",
      "user namespaces",
      "state dir",
      "overlay",
      "binfmt",
      "newuidmap",
      "newgidmap",
      "subordinate ids",
      "network connector",
      "/dev/net/tun",
    ]) {
      expect(result.stdout).toMatch(new RegExp(`^ok +${check}:`, "m"));
    }
    expect(result.stdout).toContain(`can emulate ${FOREIGN_ARCH}`);
    // pasta first, where both run (isolation.test.ts runs doctor on a host with slirp4netns alone).
    expect(result.stdout).toMatch(/^ok +network connector: pasta .*connects jobs' own networks$/m);
    // These stages start in no delegated cgroup (cgroup.test.ts delegates one): jobs share the runner's.
    expect(result.stdout).toMatch(
      /^ok +cgroup limits: no cpu or memory limit set; jobs run in the runner's own cgroup: (no cgroup above \S+ is delegated to polyarch-ci \(writable by it\)|this host has no cgroup v2 hierarchy mounted)$/m,
    );
    expect(result.stdout).toMatch(
      /^ok +subordinate ids: polyarch-ci has uids 65536 from 100000 and gids 65536 from 100000/m,
    );
  });

  test("as a user without subordinate ids says the usermod command that adds them, and exits 1", async () => {
    const flat = await startRunnerHost({}, { user: FLAT_USER });
    try {
      const result = await doctorAsRunnerUser(flat);
      expect(result.exitCode).toBe(1);
      expect(result.stdout).toMatch(
        /^MISSING subordinate ids: polyarch-ci-flat has uids none and gids none .*\n +fix: usermod --add-subuids 100000-165535 --add-subgids 100000-165535 polyarch-ci-flat$/m,
      );
    } finally {
      await flat.remove();
    }
  });

  test("as root says what is wrong and how to fix it, and exits 1", async () => {
    // The executor tests run as root (executorUser() refuses otherwise): this doctor runs as the test does.
    expect(process.getuid?.(), "this test runs doctor as root").toBe(0);
    // A state dir of its own: one root creates must not be the runner user's.
    const settings = join(host.dir, "root-executor.yaml");
    await writeFile(settings, `state_dir: ${join(host.dir, "root-state")}\n`);
    const result = await execa(host.custom.config_exec, ["doctor", "--settings", settings], {
      reject: false,
    });
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toMatch(
      /^MISSING user: running as root\n +fix: run gitlab-runner .* as an ordinary user/m,
    );
  });
});
