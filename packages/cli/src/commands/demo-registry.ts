import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdir, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import { PolyarchError } from "@polyarch/errors";

/** CNCF distribution's config: filesystem storage under `storage`, plain HTTP on loopback `port` only. */
export function demoRegistryConfig(storage: string, port: number): string {
  return [
    "version: 0.1",
    "log: { level: error }",
    `storage: { filesystem: { rootdirectory: ${JSON.stringify(storage)} }, delete: { enabled: true } }`,
    `http: { addr: "127.0.0.1:${port}" }`,
    "",
  ].join("\n");
}

/**
 * The registry's environment: the user's, without the variables distribution reads as configuration
 * (`REGISTRY_<SECTION>_<KEY>`). Podman and Buildah users often set REGISTRY_AUTH_FILE, which distribution
 * reads as `auth.file` and refuses to start on.
 */
function demoRegistryEnv(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).filter(
      (entry): entry is [string, string] => entry[1] !== undefined && !entry[0].startsWith("REGISTRY_"),
    ),
  );
}

/** A registry of the demo's own on loopback, for as long as the demo runs. */
export interface DemoRegistry {
  /** `127.0.0.1:PORT` */
  host: string;
  stop(): Promise<void>;
}

/**
 * Starts CNCF distribution (`docker-registry serve`, Debian's package; .ci/setup installs it) with its
 * storage in `dir`, and waits until it answers /v2/. The demo's "no external registry": nothing leaves
 * the machine.
 */
export async function startDemoRegistry(
  dir: string,
  env: Readonly<Record<string, string | undefined>>,
): Promise<DemoRegistry> {
  await mkdir(join(dir, "storage"), { recursive: true });
  const port = await freePort();
  const config = join(dir, "config.yml");
  await writeFile(config, demoRegistryConfig(join(dir, "storage"), port));
  const child = spawn("docker-registry", ["serve", config], { stdio: "ignore", env: demoRegistryEnv(env) });
  // A missing binary is an "error" event, a crash an "exit": either way the registry is not there.
  const exited = Promise.race([once(child, "exit"), once(child, "error")]).then(() => undefined);
  const host = `127.0.0.1:${port}`;
  for (let attempt = 0; attempt < 100; attempt++) {
    const done = await Promise.race([exited.then(() => true), delay(100).then(() => false)]);
    if (done) throw missingRegistry();
    if (await answers(`http://${host}/v2/`)) {
      return {
        host,
        stop: async () => {
          if (child.exitCode === null) child.kill("SIGTERM");
          await exited;
        },
      };
    }
  }
  child.kill("SIGKILL");
  throw new PolyarchError("POLYARCH_E_DEMO_SETUP", "the demo's local registry did not start within 10 s", {
    hint: "check that docker-registry runs: docker-registry serve /etc/docker/registry/config.yml",
  });
}

function missingRegistry(): PolyarchError {
  return new PolyarchError(
    "POLYARCH_E_DEMO_SETUP",
    "the demo needs docker-registry (CNCF distribution) to run",
    {
      hint: "run bash .ci/setup, or apt-get install docker-registry",
    },
  );
}

async function answers(url: string): Promise<boolean> {
  try {
    return (await fetch(url)).ok;
  } catch {
    return false;
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}
