import { describe, expect, it } from "vitest";
import { hoistManifestToolFlags } from "./main.ts";

describe("hoistManifestToolFlags", () => {
  const argv = (...args: string[]) => ["node", "polyarch", ...args];

  it("moves manifest-tool's global flags from before `push` to after it", () => {
    expect(
      hoistManifestToolFlags(
        argv("--username", "u", "--password=p", "--insecure", "push", "from-args", "--target", "x"),
      ),
    ).toEqual(argv("push", "--username", "u", "--password=p", "--insecure", "from-args", "--target", "x"));
  });

  it("leaves other command lines alone", () => {
    expect(hoistManifestToolFlags(argv("push", "from-spec", "a.yaml"))).toEqual(
      argv("push", "from-spec", "a.yaml"),
    );
    expect(hoistManifestToolFlags(argv("inspect", "push"))).toEqual(argv("inspect", "push"));
    expect(hoistManifestToolFlags(argv("--insecure", "inspect", "push"))).toEqual(
      argv("--insecure", "inspect", "push"),
    );
  });
});
