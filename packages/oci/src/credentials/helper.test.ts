import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redactor } from "@polyarch/errors";
import { rejection } from "@polyarch/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { credentialFromHelper, type HelperContext } from "./helper.ts";
import { defaultCredentialIO } from "./io.ts";
import type { CredentialIO, Env, HelperOutput } from "./types.ts";

const SECRET = "s3cr3t-from-helper";
const CONFIGURED_IN = "credsStore in /home/me/.docker/config.json";

interface Call {
  program: string;
  args: readonly string[];
  input: string;
  env: Env;
}

/** A helper runner that records its calls and answers with `answer`. */
function fakeRunner(answer: (call: Call) => HelperOutput | Promise<HelperOutput>) {
  const calls: Call[] = [];
  const runHelper: CredentialIO["runHelper"] = async (program, args, input, env) => {
    const call = { program, args, input, env };
    calls.push(call);
    return answer(call);
  };
  return { calls, runHelper };
}

function context(runHelper: CredentialIO["runHelper"], env: Env = {}): HelperContext {
  return { io: { env, runHelper }, configuredIn: CONFIGURED_IN };
}

const ok = (body: object): HelperOutput => ({ exitCode: 0, stdout: `${JSON.stringify(body)}\n`, stderr: "" });

describe("credentialFromHelper", () => {
  it("runs docker-credential-<name> get with the host on stdin and the environment it was given", async () => {
    const runner = fakeRunner(() => ok({ ServerURL: "r.example:5000", Username: "AWS", Secret: SECRET }));
    const env = { PATH: "/opt/helpers", AWS_PROFILE: "ci" };
    const credential = await credentialFromHelper(
      "ecr-login",
      "r.example:5000",
      context(runner.runHelper, env),
    );
    expect(credential).toEqual({ kind: "basic", username: "AWS", password: SECRET });
    expect(runner.calls).toEqual([
      { program: "docker-credential-ecr-login", args: ["get"], input: "r.example:5000", env },
    ]);
  });

  it("asks about Docker Hub by https://index.docker.io/v1/", async () => {
    const runner = fakeRunner(() => ok({ Username: "bob", Secret: SECRET }));
    await credentialFromHelper("desktop", "docker.io", context(runner.runHelper));
    expect(runner.calls[0]?.input).toBe("https://index.docker.io/v1/");
  });

  it("treats Username <token> as an identity token", async () => {
    const runner = fakeRunner(() => ok({ ServerURL: "r.example", Username: "<token>", Secret: SECRET }));
    expect(await credentialFromHelper("desktop", "r.example", context(runner.runHelper))).toEqual({
      kind: "identity-token",
      token: SECRET,
    });
  });

  it("finds nothing when the helper says credentials are not found (on stdout, as the Docker helpers do)", async () => {
    const runner = fakeRunner(() => ({
      exitCode: 1,
      stdout: "credentials not found in native keychain\n",
      stderr: "",
    }));
    expect(await credentialFromHelper("osxkeychain", "r.example", context(runner.runHelper))).toBeUndefined();
  });

  it("finds nothing when the helper answers with an empty secret", async () => {
    const runner = fakeRunner(() => ok({ ServerURL: "r.example", Username: "", Secret: "" }));
    expect(await credentialFromHelper("pass", "r.example", context(runner.runHelper))).toBeUndefined();
  });

  it("reports any other failure naming the helper, its config and the exit code, with known secrets masked", async () => {
    const runner = fakeRunner(() => ({
      exitCode: 2,
      stdout: "",
      stderr: "error getting credentials: token previous-secret expired\nmore detail",
    }));
    const redactor = new Redactor().add("previous-secret");
    const error = await rejection(
      credentialFromHelper("ecr-login", "r.example", { ...context(runner.runHelper), redactor }),
    );
    expect(error.code).toBe("POLYARCH_E_CREDENTIAL_HELPER");
    expect(error.kind).toBe("operation");
    expect(error.message).toBe(
      `docker-credential-ecr-login (${CONFIGURED_IN}) failed for r.example with exit code 2: ` +
        "error getting credentials: token *** expired",
    );
    expect(error.hint).toContain("docker-credential-ecr-login get");
  });

  it("never quotes a failing helper's output that looks like a credential", async () => {
    const runner = fakeRunner(() => ({
      exitCode: 1,
      stdout: `{"Username":"bob","Secret":"${SECRET}"}`,
      stderr: "",
    }));
    const error = await rejection(credentialFromHelper("odd", "r.example", context(runner.runHelper)));
    expect(error.code).toBe("POLYARCH_E_CREDENTIAL_HELPER");
    expect(error.message).not.toContain(SECRET);
  });

  it.each([
    ["not JSON", `Username=bob Secret=${SECRET}`],
    ["JSON without a Secret", `{"Username":"bob","Password":"${SECRET}"}`],
  ])("rejects output that is %s without quoting it", async (_, stdout) => {
    const runner = fakeRunner(() => ({ exitCode: 0, stdout, stderr: "" }));
    const error = await rejection(credentialFromHelper("odd", "r.example", context(runner.runHelper)));
    expect(error.code).toBe("POLYARCH_E_CREDENTIAL_HELPER");
    expect(error.message).toContain("docker-credential-odd");
    expect(`${error.message} ${error.hint}`).not.toContain(SECRET);
  });

  it("reports a helper that is not installed, saying where it is configured", async () => {
    const runHelper = async (): Promise<HelperOutput> => {
      throw Object.assign(new Error("spawn docker-credential-gone ENOENT"), { code: "ENOENT" });
    };
    const error = await rejection(credentialFromHelper("gone", "r.example", context(runHelper)));
    expect(error.code).toBe("POLYARCH_E_CREDENTIAL_HELPER");
    expect(error.message).toBe(`docker-credential-gone (${CONFIGURED_IN}) is not installed or not on PATH`);
    expect(error.hint).toContain(CONFIGURED_IN);
  });

  it("refuses a helper name that would run a program by path", async () => {
    const runner = fakeRunner(() => {
      throw new Error("unexpected call");
    });
    const error = await rejection(
      credentialFromHelper("../../tmp/evil", "r.example", context(runner.runHelper)),
    );
    expect(error.code).toBe("POLYARCH_E_CREDENTIAL_CONFIG");
    expect(error.kind).toBe("input");
    expect(runner.calls).toEqual([]);
  });
});

describe("credentialFromHelper with a real helper process", () => {
  let dir: string;
  let env: Env;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "polyarch-helper-"));
    // Answers like docker-credential-helpers do: JSON for a known server, "not found" on stdout otherwise.
    await writeFile(
      join(dir, "docker-credential-fake"),
      [
        "#!/bin/sh",
        'read -r server || [ -n "$server" ]',
        'if [ "$1" != get ]; then echo "unknown command $1" >&2; exit 2; fi',
        'case "$server" in',
        '  registry.example.com:5000) printf \'{"ServerURL":"%s","Username":"%s","Secret":"%s"}\\n\' "$server" "$FAKE_USER" "$FAKE_SECRET" ;;',
        '  https://index.docker.io/v1/) printf \'{"ServerURL":"%s","Username":"<token>","Secret":"%s"}\\n\' "$server" "$FAKE_SECRET" ;;',
        "  broken.example) echo 'keychain is locked' >&2; exit 3 ;;",
        "  *) echo 'credentials not found in native keychain'; exit 1 ;;",
        "esac",
        "",
      ].join("\n"),
    );
    await chmod(join(dir, "docker-credential-fake"), 0o755);
    env = { PATH: `${dir}:${process.env.PATH ?? "/usr/bin:/bin"}`, FAKE_USER: "robot", FAKE_SECRET: SECRET };
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const real = (): HelperContext => ({
    io: { env, runHelper: defaultCredentialIO().runHelper },
    configuredIn: CONFIGURED_IN,
  });

  it("gets a username and secret from the helper found on the injected PATH", async () => {
    expect(await credentialFromHelper("fake", "registry.example.com:5000", real())).toEqual({
      kind: "basic",
      username: "robot",
      password: SECRET,
    });
  });

  it("gets an identity token for Docker Hub", async () => {
    expect(await credentialFromHelper("fake", "docker.io", real())).toEqual({
      kind: "identity-token",
      token: SECRET,
    });
  });

  it("finds nothing for a server the helper does not know", async () => {
    expect(await credentialFromHelper("fake", "unknown.example", real())).toBeUndefined();
  });

  it("reports a helper failure with its stderr", async () => {
    const error = await rejection(credentialFromHelper("fake", "broken.example", real()));
    expect(error.code).toBe("POLYARCH_E_CREDENTIAL_HELPER");
    expect(error.message).toContain("exit code 3: keychain is locked");
  });

  it("reports a helper that is not on PATH", async () => {
    const error = await rejection(credentialFromHelper("not-installed", "registry.example.com", real()));
    expect(error.code).toBe("POLYARCH_E_CREDENTIAL_HELPER");
    expect(error.message).toContain("docker-credential-not-installed");
    expect(error.message).toContain("not installed");
  });
});
