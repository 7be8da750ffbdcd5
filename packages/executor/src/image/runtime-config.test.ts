import { describe, expect, test } from "vitest";
import { effectiveEntrypoint, runtimeConfig } from "./runtime-config.ts";
import { chooseShell } from "./shell.ts";

describe("the image's runtime config", () => {
  test("reads Env, WorkingDir, User and Entrypoint, tolerating nulls", () => {
    const config = {
      os: "linux",
      architecture: "amd64",
      config: { Env: ["A=1"], WorkingDir: "", User: null, Entrypoint: null },
    };
    expect(runtimeConfig(config)).toEqual({
      env: ["A=1"],
      workingDir: "/",
      user: undefined,
      entrypoint: [],
      cmd: [],
      tcpPorts: [],
    });
  });

  test("reads Cmd and the TCP ports of ExposedPorts, which a service is waited for on", () => {
    const config = {
      os: "linux",
      architecture: "amd64",
      config: {
        Cmd: ["postgres"],
        ExposedPorts: { "5432/tcp": {}, "53/udp": {}, "8080": {}, "99999/tcp": {}, "x/tcp": {} },
      },
    };
    expect(runtimeConfig(config)).toMatchObject({ cmd: ["postgres"], tcpPorts: [5432, 8080] });
  });

  test("the job's entrypoint replaces the image's, and [\"\"] clears it, as in the Docker executor", () => {
    expect(effectiveEntrypoint(["/entry.sh"], undefined)).toEqual(["/entry.sh"]);
    expect(effectiveEntrypoint(["/entry.sh"], ["/other", "-x"])).toEqual(["/other", "-x"]);
    expect(effectiveEntrypoint(["/entry.sh"], [""])).toEqual([]);
    expect(effectiveEntrypoint(["/entry.sh"], [])).toEqual([]);
  });

  test("the shell is the first bash found, else sh", () => {
    expect(chooseShell(new Set(["/bin/sh", "/usr/bin/bash"]))).toBe("/usr/bin/bash");
    expect(chooseShell(new Set(["/bin/sh"]))).toBe("/bin/sh");
    expect(chooseShell(new Set())).toBeUndefined();
  });
});
