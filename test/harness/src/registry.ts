import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, openSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import bcrypt from "bcryptjs";
import { onProcessExit } from "./exit-hooks.ts";
import { freePort } from "./ports.ts";
import { registerSecret } from "./secrets.ts";
import { tempDir } from "./temp.ts";
import { startTokenServer, type TokenServer, type TokenServerOptions } from "./token-server.ts";

export type RegistryAuth = "anonymous" | "basic" | "token";

export interface StartRegistryOptions {
  /** @default "anonymous" */
  auth?: RegistryAuth;
  /** The user for basic and token auth. @default "polyarch" */
  username?: string;
  /** @default a random string */
  password?: string;
  /** More users (name → password) for basic and token auth. */
  users?: Record<string, string>;
  /** Token server settings (grants, anonymous access, lifetime) for `auth: "token"`. */
  token?: Omit<TokenServerOptions, "users">;
  /** Serve this storage directory (e.g. from a previous registry) instead of a fresh one; it is kept on stop. */
  storageDir?: string;
  /** `http.relativeurls`: answer uploads with relative Location headers. @default false */
  relativeUrls?: boolean;
  /** `storage.delete.enabled`: false makes every DELETE a 405, as many registries are set up. @default true */
  deleteEnabled?: boolean;
}

export interface Registry {
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** `127.0.0.1:PORT`, for image references. */
  host: string;
  auth: RegistryAuth;
  username?: string;
  password?: string;
  tokenServer?: TokenServer;
  storageDir: string;
  /** The registry's own log (stderr), for debugging a failing test. */
  logFile: string;
  readLog(): Promise<string>;
  /** Kills the registry, stops the token server and removes temp dirs (not a caller's `storageDir`). */
  stop(): Promise<void>;
}

const attempts = 3;

/** Starts a real CNCF distribution registry (`docker-registry serve`) on a free loopback port. */
export async function startRegistry(options: StartRegistryOptions = {}): Promise<Registry> {
  const auth = options.auth ?? "anonymous";
  const work = await tempDir("polyarch-registry-");
  const username = auth === "anonymous" ? undefined : (options.username ?? "polyarch");
  const password = auth === "anonymous" ? undefined : (options.password ?? randomBytes(12).toString("hex"));
  const users = { ...options.users, ...(username && password ? { [username]: password } : {}) };
  for (const [user, pass] of Object.entries(users)) registerSecret(pass, user);
  const storageDir = options.storageDir ?? join(work.path, "storage");
  await mkdir(storageDir, { recursive: true });
  const logFile = join(work.path, "registry.log");

  let tokenServer: TokenServer | undefined;
  let authYaml = "";
  if (auth === "basic") {
    const htpasswd = join(work.path, "htpasswd");
    const lines = Object.entries(users).map(([user, pass]) => `${user}:${bcrypt.hashSync(pass, 5)}\n`);
    await writeFile(htpasswd, lines.join(""), { mode: 0o600 });
    authYaml = `auth:\n  htpasswd:\n    realm: polyarch-test\n    path: ${htpasswd}\n`;
  } else if (auth === "token") {
    tokenServer = await startTokenServer({ ...options.token, users });
    const bundle = join(work.path, "token-root.pem");
    await writeFile(bundle, tokenServer.certificatePem);
    authYaml = [
      "auth:",
      "  token:",
      `    realm: ${tokenServer.realm}`,
      `    service: ${tokenServer.service}`,
      `    issuer: ${tokenServer.issuer}`,
      `    rootcertbundle: ${bundle}`,
      "",
    ].join("\n");
  }

  try {
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      const config = join(work.path, "config.yml");
      await writeFile(
        config,
        renderConfig({
          port,
          storageDir,
          authYaml,
          relativeUrls: options.relativeUrls,
          deleteEnabled: options.deleteEnabled ?? true,
        }),
      );
      const started = await spawnRegistry(config, logFile, `http://127.0.0.1:${port}`);
      if (started.ok) {
        const child = started.child;
        const unregister = onProcessExit(() => child.kill("SIGKILL"));
        return {
          url: `http://127.0.0.1:${port}`,
          host: `127.0.0.1:${port}`,
          auth,
          ...(username === undefined ? {} : { username, password }),
          ...(tokenServer === undefined ? {} : { tokenServer }),
          storageDir,
          logFile,
          readLog: () => readFile(logFile, "utf8"),
          stop: async () => {
            unregister();
            await stopChild(child);
            await tokenServer?.stop();
            await work.remove();
          },
        };
      }
      const log = await readFile(logFile, "utf8").catch(() => "");
      const portTaken = log.includes("address already in use");
      if (!portTaken || attempt >= attempts) {
        throw new Error(`docker-registry did not start: ${started.reason}\n${log.slice(-2000)}`);
      }
    }
  } catch (error: unknown) {
    await tokenServer?.stop();
    await work.remove();
    throw error;
  }
}

function renderConfig(options: {
  port: number;
  storageDir: string;
  authYaml: string;
  relativeUrls: boolean | undefined;
  deleteEnabled: boolean;
}): string {
  return [
    "version: 0.1",
    "log:",
    "  level: info",
    "  formatter: text",
    "storage:",
    "  filesystem:",
    `    rootdirectory: ${options.storageDir}`,
    "  delete:",
    `    enabled: ${options.deleteEnabled}`,
    "  maintenance:",
    "    uploadpurging:",
    "      enabled: false",
    "http:",
    `  addr: 127.0.0.1:${options.port}`,
    `  secret: ${randomBytes(16).toString("hex")}`,
    `  relativeurls: ${options.relativeUrls === true}`,
    options.authYaml,
  ].join("\n");
}

type Started = { ok: true; child: ChildProcess } | { ok: false; reason: string };

async function spawnRegistry(config: string, logFile: string, url: string): Promise<Started> {
  const log = openSync(logFile, "a");
  // setpriv --pdeathsig: the kernel kills the registry if the test process dies without cleaning up.
  const child = spawn("setpriv", ["--pdeathsig", "KILL", "--", "docker-registry", "serve", config], {
    stdio: ["ignore", log, log],
  });
  closeSync(log);
  let exited: string | undefined;
  child.once("exit", (code, signal) => {
    exited = `exited with ${signal ?? code}`;
  });
  child.once("error", (error) => {
    exited = error.message;
  });
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (exited !== undefined) return { ok: false, reason: exited };
    try {
      // Any answer will do: 200 when anonymous, 401 with a challenge when auth is on.
      await fetch(`${url}/v2/`, { signal: AbortSignal.timeout(1000) });
      return { ok: true, child };
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
  child.kill("SIGKILL");
  return { ok: false, reason: "/v2/ did not answer within 15 s" };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 2000);
  await exited;
  clearTimeout(timer);
}
