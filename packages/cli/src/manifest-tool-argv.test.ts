import { describe, expect, it } from "vitest";
import { fromManifestToolArgv } from "./manifest-tool-argv.ts";

// The flags as longFlagsOf reads them from the program: name → takes a value.
const flags = new Map([
  ["--username", true],
  ["--password", true],
  ["--docker-cfg", true],
  ["--insecure", false],
  ["--debug", false],
  ["--platforms", true],
  ["--target", true],
  ["--raw", false],
]);
const argv = (...args: string[]) => ["node", "polyarch", ...args];
const rewrite = (...args: string[]) => fromManifestToolArgv(argv(...args), flags);

describe("fromManifestToolArgv", () => {
  it("moves global flags from before `push` to after it", () => {
    expect(
      rewrite("--username", "u", "--password=p", "--insecure", "push", "from-args", "--target", "x"),
    ).toEqual(argv("push", "--username", "u", "--password=p", "--insecure", "from-args", "--target", "x"));
  });

  it("moves global flags from before `inspect` too, and not a value that reads `push`", () => {
    expect(rewrite("--insecure", "--docker-cfg", "d", "inspect", "--raw", "r.example/a:1")).toEqual(
      argv("inspect", "--insecure", "--docker-cfg", "d", "--raw", "r.example/a:1"),
    );
    expect(rewrite("--username", "push", "push", "from-spec", "s.yaml")).toEqual(
      argv("push", "--username", "push", "from-spec", "s.yaml"),
    );
  });

  it("reads Go-style single-dash long flags as polyarch's double-dash ones, not their values", () => {
    expect(rewrite("-username", "u", "-password=p", "push", "from-args", "-target", "x")).toEqual(
      argv("push", "--username", "u", "--password=p", "from-args", "--target", "x"),
    );
    expect(rewrite("push", "--password", "-debug", "from-args")).toEqual(
      argv("push", "--password", "-debug", "from-args"),
    );
    expect(rewrite("merge", "-v", "-unknown")).toEqual(argv("merge", "-v", "-unknown"));
  });

  it("leaves other command lines alone", () => {
    expect(rewrite("push", "from-spec", "a.yaml")).toEqual(argv("push", "from-spec", "a.yaml"));
    expect(rewrite("inspect", "push")).toEqual(argv("inspect", "push"));
    expect(rewrite("merge", "--target", "x", "push")).toEqual(argv("merge", "--target", "x", "push"));
  });
});

describe("fromManifestToolArgv after `--`", () => {
  it("leaves what follows `--` as written: no one-dash flag doubled, nothing hoisted", () => {
    expect(rewrite("build", "-target", "t", "--", "-username=u", "-target", "push", "--insecure")).toEqual(
      argv("build", "--target", "t", "--", "-username=u", "-target", "push", "--insecure"),
    );
    expect(rewrite("--insecure", "--", "push")).toEqual(argv("--insecure", "--", "push"));
  });
});
