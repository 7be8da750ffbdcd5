import { isPolyarchError, type PolyarchError, Redactor } from "@polyarch/errors";
import { rejection } from "@polyarch/test-harness";
import { describe, expect, it } from "vitest";
import { credentialFiles, dockerConfigCredentialSource } from "./docker-config-source.ts";
import { explicitCredentialSource } from "./explicit.ts";
import { gitlabCiCredentialSource } from "./gitlab-ci.ts";
import { createCredentialResolver } from "./resolver.ts";
import type { CredentialIO, Env, HelperOutput } from "./types.ts";

const HOME = "/home/me";
const DOCKER_FILE = `${HOME}/.docker/config.json`;
const SECRET = "s3cr3t-pa55word";
const b64 = (text: string) => Buffer.from(text).toString("base64");
const unexpected = (what: string) => () => {
  throw new Error(`unexpected call: ${what}`);
};

interface FakeOptions {
  env?: Env;
  /** Path → content; a path that is not listed does not exist. Without `files`, reading is unexpected. */
  files?: Record<string, string | object>;
  /** Program → answer to `get` given the server URL. Without `helpers`, running one is unexpected. */
  helpers?: Record<string, (server: string) => HelperOutput>;
}

/** Fake I/O: every member fails with "unexpected call" unless the test gives it something to do. */
function fakeIO(options: FakeOptions = {}) {
  const reads: string[] = [];
  const runs: string[] = [];
  const { files, helpers } = options;
  const io: CredentialIO = {
    env: options.env ?? {},
    homeDir: () => HOME,
    readFile: files
      ? async (path) => {
          reads.push(path);
          const content = files[path];
          return typeof content === "object" ? JSON.stringify(content) : content;
        }
      : unexpected("readFile"),
    runHelper: helpers
      ? async (program, _args, input) => {
          runs.push(`${program} ${input}`);
          const helper = helpers[program];
          if (helper === undefined)
            throw Object.assign(new Error(`spawn ${program} ENOENT`), { code: "ENOENT" });
          return helper(input);
        }
      : unexpected("runHelper"),
  };
  return { io, reads, runs };
}

const answer = (Username: string, Secret: string) => (): HelperOutput => ({
  exitCode: 0,
  stdout: JSON.stringify({ Username, Secret }),
  stderr: "",
});
const notFound = (): HelperOutput => ({
  exitCode: 1,
  stdout: "credentials not found in native keychain\n",
  stderr: "",
});

describe("credentialFiles", () => {
  it("reads ~/.docker/config.json and podman's defaults when nothing is set", () => {
    expect(credentialFiles({ env: {}, homeDir: () => HOME })).toEqual([
      DOCKER_FILE,
      `${HOME}/.config/containers/auth.json`,
    ]);
  });

  it("puts REGISTRY_AUTH_FILE first and lets DOCKER_CONFIG replace ~/.docker, as Docker does", () => {
    const env = {
      REGISTRY_AUTH_FILE: "/run/auth.json",
      DOCKER_CONFIG: "/ci/docker",
      XDG_RUNTIME_DIR: "/run/user/1",
    };
    expect(credentialFiles({ env, homeDir: () => HOME })).toEqual([
      "/run/auth.json",
      "/ci/docker/config.json",
    ]);
  });

  it("adds $XDG_RUNTIME_DIR/containers/auth.json and $XDG_CONFIG_HOME when REGISTRY_AUTH_FILE is unset", () => {
    const env = { XDG_RUNTIME_DIR: "/run/user/1", XDG_CONFIG_HOME: "/cfg" };
    expect(credentialFiles({ env, homeDir: () => HOME })).toEqual([
      DOCKER_FILE,
      "/run/user/1/containers/auth.json",
      "/cfg/containers/auth.json",
    ]);
  });
});

describe("dockerConfigCredentialSource", () => {
  const hubConfig = { auths: { "https://index.docker.io/v1/": { auth: b64(`bob:${SECRET}`) } } };

  it.each(["docker.io", "index.docker.io", "registry-1.docker.io", "Docker.IO"])(
    "finds Docker Hub's https://index.docker.io/v1/ entry for %s",
    async (host) => {
      const { io } = fakeIO({ files: { [DOCKER_FILE]: hubConfig } });
      expect(await dockerConfigCredentialSource(io).get(host)).toEqual({
        kind: "basic",
        username: "bob",
        password: SECRET,
      });
    },
  );

  it("matches keys written as URLs with scheme and path, and keeps ports apart", async () => {
    const { io } = fakeIO({
      files: {
        [DOCKER_FILE]: {
          auths: {
            "https://registry.example.com/v2/": { username: "url", password: SECRET },
            "localhost:5000": { username: "five-thousand", password: SECRET },
            "http://localhost:5001": { username: "five-thousand-one", password: SECRET },
          },
        },
      },
    });
    const source = dockerConfigCredentialSource(io);
    expect(await source.get("registry.example.com")).toMatchObject({ username: "url" });
    expect(await source.get("localhost:5000")).toMatchObject({ username: "five-thousand" });
    expect(await source.get("localhost:5001")).toMatchObject({ username: "five-thousand-one" });
    expect(await source.get("localhost")).toBeUndefined();
    expect(await source.get("registry.example.com:5000")).toBeUndefined();
  });

  it("takes the first file with an entry for the host: REGISTRY_AUTH_FILE, then DOCKER_CONFIG", async () => {
    const { io } = fakeIO({
      env: { REGISTRY_AUTH_FILE: "/run/auth.json", DOCKER_CONFIG: "/ci/docker" },
      files: {
        "/run/auth.json": { auths: { "a.example": { auth: b64("podman:pw-podman") } } },
        "/ci/docker/config.json": {
          auths: {
            "a.example": { auth: b64("docker:pw-docker") },
            "b.example": { auth: b64("docker:pw-b") },
          },
        },
        [DOCKER_FILE]: { auths: { "c.example": { auth: b64("home:pw-home") } } },
      },
    });
    const source = dockerConfigCredentialSource(io);
    expect(await source.lookup("a.example")).toEqual({
      credential: { kind: "basic", username: "podman", password: "pw-podman" },
      from: '/run/auth.json (auths["a.example"])',
    });
    expect(await source.get("b.example")).toMatchObject({ username: "docker" });
    // DOCKER_CONFIG replaces ~/.docker: the home file is never consulted.
    expect(await source.get("c.example")).toBeUndefined();
  });

  it("falls back to podman's auth.json under XDG_RUNTIME_DIR", async () => {
    const { io } = fakeIO({
      env: { XDG_RUNTIME_DIR: "/run/user/1000" },
      files: {
        "/run/user/1000/containers/auth.json": { auths: { "quay.io": { auth: b64(`robot:${SECRET}`) } } },
      },
    });
    expect(await dockerConfigCredentialSource(io).get("quay.io")).toMatchObject({ username: "robot" });
  });

  it("ignores namespace-scoped podman keys for a whole-host lookup", async () => {
    const { io } = fakeIO({
      files: { [DOCKER_FILE]: { auths: { "quay.io/team": { auth: b64(`t:${SECRET}`) } } } },
    });
    expect(await dockerConfigCredentialSource(io).get("quay.io")).toBeUndefined();
  });

  it("reads identitytoken and registrytoken entries", async () => {
    const { io } = fakeIO({
      files: {
        [DOCKER_FILE]: {
          auths: {
            "acr.example": {
              auth: b64("00000000-0000-0000-0000-000000000000:"),
              identitytoken: "refresh-1234",
            },
            "token.example": { registrytoken: "bearer-1234" },
          },
        },
      },
    });
    const source = dockerConfigCredentialSource(io);
    expect(await source.get("acr.example")).toEqual({
      kind: "identity-token",
      token: "refresh-1234",
      username: "00000000-0000-0000-0000-000000000000",
    });
    expect(await source.get("token.example")).toEqual({ kind: "registry-token", token: "bearer-1234" });
  });

  it("asks credHelpers[host] first, then credsStore, then auths", async () => {
    const config = {
      credHelpers: { "ecr.example": "ecr-login", "https://index.docker.io/v1/": "hub" },
      credsStore: "desktop",
      auths: {
        "plain.example": { auth: b64(`file:${SECRET}`) },
        "ecr.example": { auth: b64("stale:stale") },
      },
    };
    const { io, runs } = fakeIO({
      files: { [DOCKER_FILE]: config },
      helpers: {
        "docker-credential-ecr-login": answer("AWS", "ecr-password"),
        "docker-credential-hub": answer("<token>", "hub-token"),
        "docker-credential-desktop": (server) =>
          server === "store.example" ? answer("stored", "store-password")() : notFound(),
      },
    });
    const source = dockerConfigCredentialSource(io);
    expect(await source.lookup("ecr.example")).toEqual({
      credential: { kind: "basic", username: "AWS", password: "ecr-password" },
      from: `${DOCKER_FILE} (credHelpers["ecr.example"]: ecr-login)`,
      refreshable: true,
    });
    expect(await source.get("registry-1.docker.io")).toEqual({ kind: "identity-token", token: "hub-token" });
    expect(await source.lookup("store.example")).toMatchObject({
      from: `${DOCKER_FILE} (credsStore: desktop)`,
    });
    // The store has nothing for plain.example: the auths entry answers.
    expect(await source.get("plain.example")).toMatchObject({ username: "file", password: SECRET });
    expect(await source.get("nothing.example")).toBeUndefined();
    expect(runs).toEqual([
      "docker-credential-ecr-login ecr.example",
      "docker-credential-hub https://index.docker.io/v1/",
      "docker-credential-desktop store.example",
      "docker-credential-desktop plain.example",
      "docker-credential-desktop nothing.example",
    ]);
  });

  it("reads each file once", async () => {
    const { io, reads } = fakeIO({ files: { [DOCKER_FILE]: { auths: {} } } });
    const source = dockerConfigCredentialSource(io);
    await source.get("a.example");
    await source.get("b.example");
    expect(reads.filter((path) => path === DOCKER_FILE)).toHaveLength(1);
  });

  it("rejects a malformed file with an input error naming the file, never its content", async () => {
    const { io } = fakeIO({
      env: { DOCKER_CONFIG: "/ci/docker" },
      files: { "/ci/docker/config.json": `{"auths": {"r.example": {"auth": ${SECRET}}}` },
    });
    const error = await rejection(dockerConfigCredentialSource(io).get("r.example"));
    expect(error.code).toBe("POLYARCH_E_CREDENTIAL_CONFIG");
    expect(error.kind).toBe("input");
    expect(error.message).toContain("/ci/docker/config.json is not valid JSON");
    expect(`${error.message} ${error.hint}`).not.toContain(SECRET);
  });

  it("rejects an unreadable file naming it", async () => {
    const { io } = fakeIO();
    io.readFile = async () => {
      throw Object.assign(new Error("EACCES: permission denied"), { code: "EACCES" });
    };
    const error = await rejection(dockerConfigCredentialSource(io).get("r.example"));
    expect(error.code).toBe("POLYARCH_E_CREDENTIAL_CONFIG");
    expect(error.message).toBe(`could not read ${DOCKER_FILE} (EACCES)`);
  });

  it("fails naming a configured helper that is not installed", async () => {
    const { io } = fakeIO({ files: { [DOCKER_FILE]: { credsStore: "osxkeychain" } }, helpers: {} });
    const error = await rejection(dockerConfigCredentialSource(io).get("r.example"));
    expect(error.code).toBe("POLYARCH_E_CREDENTIAL_HELPER");
    expect(error.message).toContain("docker-credential-osxkeychain");
    expect(error.message).toContain(`credsStore in ${DOCKER_FILE}`);
  });
});

describe("gitlabCiCredentialSource", () => {
  const ci = {
    CI_REGISTRY: "gitlab.example.com:5050",
    CI_REGISTRY_USER: "gitlab-ci-token",
    CI_REGISTRY_PASSWORD: "ci-registry-password",
    CI_JOB_TOKEN: "ci-job-token",
  };

  it("offers CI_REGISTRY_USER/CI_REGISTRY_PASSWORD to CI_REGISTRY only, port included", async () => {
    const source = gitlabCiCredentialSource(ci);
    expect(await source.lookup("GitLab.example.com:5050")).toEqual({
      credential: { kind: "basic", username: "gitlab-ci-token", password: "ci-registry-password" },
      from: "GitLab CI (CI_REGISTRY, CI_REGISTRY_USER, CI_REGISTRY_PASSWORD)",
    });
    expect(await source.get("gitlab.example.com")).toBeUndefined();
    expect(await source.get("docker.io")).toBeUndefined();
  });

  it("falls back to CI_JOB_TOKEN as gitlab-ci-token when CI_REGISTRY_PASSWORD is absent", async () => {
    const source = gitlabCiCredentialSource({
      CI_REGISTRY: "registry.gitlab.com",
      CI_REGISTRY_USER: "someone",
      CI_JOB_TOKEN: "ci-job-token",
    });
    expect(await source.get("registry.gitlab.com")).toEqual({
      kind: "basic",
      username: "gitlab-ci-token",
      password: "ci-job-token",
    });
  });

  it("offers the dependency proxy credentials to CI_DEPENDENCY_PROXY_SERVER", async () => {
    const source = gitlabCiCredentialSource({
      ...ci,
      CI_DEPENDENCY_PROXY_SERVER: "gitlab.example.com:443",
      CI_DEPENDENCY_PROXY_USER: "gitlab-ci-token",
      CI_DEPENDENCY_PROXY_PASSWORD: "proxy-password",
    });
    expect(await source.get("gitlab.example.com:443")).toMatchObject({ password: "proxy-password" });
  });

  it("has nothing outside CI or without a password or job token", async () => {
    expect(await gitlabCiCredentialSource({}).get("registry.gitlab.com")).toBeUndefined();
    expect(
      await gitlabCiCredentialSource({ CI_REGISTRY: "registry.gitlab.com", CI_REGISTRY_USER: "u" }).get(
        "registry.gitlab.com",
      ),
    ).toBeUndefined();
  });
});

describe("explicitCredentialSource", () => {
  it("offers --username/--password to their host only (aliases folded)", async () => {
    const source = explicitCredentialSource({ host: "index.docker.io", username: "bob", password: SECRET });
    expect(await source.get("docker.io")).toEqual({ kind: "basic", username: "bob", password: SECRET });
    expect(await source.get("registry.example.com")).toBeUndefined();
  });

  it.each([
    [{ username: "bob" }, "--username was given without --password"],
    [{ password: SECRET }, "--password was given without --username"],
  ])("rejects half a pair (%#) without echoing the password", (given, message) => {
    let caught: unknown;
    try {
      explicitCredentialSource({ host: "r.example", ...given });
    } catch (error: unknown) {
      caught = error;
    }
    expect(isPolyarchError(caught, "POLYARCH_E_CREDENTIAL_FLAGS")).toBe(true);
    expect((caught as PolyarchError).message).toBe(message);
  });
});

describe("createCredentialResolver", () => {
  const dockerFiles = {
    [DOCKER_FILE]: {
      auths: {
        "gitlab.example.com:5050": { auth: b64("docker-user:docker-password") },
        "target.example": { auth: b64("docker-user:docker-password") },
        "other.example": { auth: b64("other-user:other-password") },
      },
    },
  };
  const ciEnv = {
    CI_REGISTRY: "gitlab.example.com:5050",
    CI_REGISTRY_USER: "gitlab-ci-token",
    CI_REGISTRY_PASSWORD: "ci-password",
  };

  it("prefers explicit credentials, then GitLab CI variables, then Docker config files", async () => {
    const { io } = fakeIO({ env: ciEnv, files: dockerFiles });
    const redactor = new Redactor();
    const explicit = { host: "target.example", username: "flag-user", password: "flag-password" };
    const withFlags = createCredentialResolver({ redactor, explicit }, io);
    expect(await withFlags.lookup("target.example")).toMatchObject({ from: "--username/--password" });
    expect(await withFlags.lookup("gitlab.example.com:5050")).toMatchObject({
      credential: { username: "gitlab-ci-token", password: "ci-password" },
    });
    // The flags are for target.example only: another host in the same run gets its own credentials.
    expect(await withFlags.lookup("other.example")).toMatchObject({
      credential: { username: "other-user", password: "other-password" },
      from: `${DOCKER_FILE} (auths["other.example"])`,
    });
    expect(await withFlags.get("anonymous.example")).toBeUndefined();

    const flagsForCiRegistry = {
      host: "gitlab.example.com:5050",
      username: "flag-user",
      password: "flag-password",
    };
    const overridingCi = createCredentialResolver({ redactor, explicit: flagsForCiRegistry }, io);
    expect(await overridingCi.get("gitlab.example.com:5050")).toMatchObject({ username: "flag-user" });
  });

  it("registers each resolved credential with the redactor, Basic header form included", async () => {
    const { io } = fakeIO({ env: ciEnv, files: dockerFiles });
    const redactor = new Redactor();
    const resolver = createCredentialResolver({ redactor }, io);
    expect(redactor.redact("other-password")).toBe("other-password");
    await resolver.get("other.example");
    expect(redactor.redact(`pw other-password, Basic ${b64("other-user:other-password")}`)).toBe(
      "pw ***, Basic ***",
    );
    await resolver.get("gitlab.example.com:5050");
    expect(redactor.redact("ci-password")).toBe("***");
  });

  it("registers tokens from identitytoken and registrytoken entries", async () => {
    const { io } = fakeIO({
      files: {
        [DOCKER_FILE]: {
          auths: {
            "a.example": { identitytoken: "identity-1234" },
            "b.example": { registrytoken: "registry-1234" },
          },
        },
      },
    });
    const redactor = new Redactor();
    const resolver = createCredentialResolver({ redactor }, io);
    await resolver.get("a.example");
    await resolver.get("b.example");
    expect(redactor.redact("identity-1234 registry-1234")).toBe("*** ***");
  });

  it("registers an explicit password before any lookup", () => {
    const redactor = new Redactor();
    createCredentialResolver(
      { redactor, explicit: { host: "r.example", username: "bob", password: SECRET } },
      fakeIO().io,
    );
    expect(redactor.redact(`${SECRET} ${b64(`bob:${SECRET}`)}`)).toBe("*** ***");
  });

  it("runs a helper once per host, and again after a failure", async () => {
    let calls = 0;
    const { io } = fakeIO({
      files: { [DOCKER_FILE]: { credsStore: "flaky" } },
      helpers: {
        "docker-credential-flaky": () => {
          calls += 1;
          return calls === 1
            ? { exitCode: 1, stdout: "", stderr: "keychain locked" }
            : answer("bob", SECRET)();
        },
      },
    });
    const resolver = createCredentialResolver({ redactor: new Redactor() }, io);
    expect((await rejection(resolver.get("r.example"))).code).toBe("POLYARCH_E_CREDENTIAL_HELPER");
    expect(await resolver.get("r.example")).toMatchObject({ password: SECRET });
    expect(await resolver.get("R.example")).toMatchObject({ password: SECRET });
    expect(calls).toBe(2);
  });

  it("never puts a known secret into an error message", async () => {
    const { io } = fakeIO({
      env: { DOCKER_CONFIG: "/ci/docker" },
      files: {
        "/ci/docker/config.json": {
          credsStore: "leaky",
          auths: { "good.example": { auth: b64(`bob:${SECRET}`) } },
        },
      },
      helpers: {
        "docker-credential-leaky": (server) =>
          server === "bad.example"
            ? { exitCode: 1, stdout: "", stderr: `refusing to use password ${SECRET} for bad.example` }
            : notFound(),
      },
    });
    const resolver = createCredentialResolver({ redactor: new Redactor() }, io);
    expect(await resolver.get("good.example")).toMatchObject({ password: SECRET });
    const error = await rejection(resolver.get("bad.example"));
    expect(error.message).toContain("refusing to use password *** for bad.example");
    expect(`${error.message} ${error.hint}`).not.toContain(SECRET);
  });

  it("asks a credential helper again on refresh, but never re-reads a static auths entry", async () => {
    let secret = "first-helper-secret";
    const { io, runs } = fakeIO({
      files: {
        [DOCKER_FILE]: {
          credHelpers: { "short.example": "rotating" },
          auths: { "static.example": { auth: b64(`file:${SECRET}`) } },
        },
      },
      helpers: { "docker-credential-rotating": () => answer("bot", secret)() },
    });
    const resolver = createCredentialResolver({ redactor: new Redactor() }, io);
    expect(await resolver.get("short.example")).toMatchObject({ password: "first-helper-secret" });
    expect(resolver.canRefresh("short.example")).toBe(true);
    secret = "second-helper-secret";
    expect(await resolver.refresh("short.example")).toMatchObject({ password: "second-helper-secret" });
    expect(await resolver.get("short.example")).toMatchObject({ password: "second-helper-secret" });
    expect(runs).toHaveLength(2);

    expect(await resolver.get("static.example")).toMatchObject({ password: SECRET });
    expect(resolver.canRefresh("static.example")).toBe(false);
    expect(await resolver.refresh("static.example")).toBeUndefined();
  });
});
