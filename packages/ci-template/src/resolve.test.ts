import { describe, expect, it } from "vitest";
import { localIncludes, resolveJobs } from "./resolve.ts";

describe("resolveJobs", () => {
  it("merges extends chains deeply, the job's own keys and later parents winning, arrays replaced", () => {
    const { jobs, problems } = resolveJobs(
      {
        variables: { A: "global", B: "global" },
        ".base": { image: "one", variables: { A: "base" }, tags: ["x", "y"] },
        ".other": { image: "two", artifacts: { reports: { dotenv: "a.env" } } },
        job: { extends: [".base", ".other"], tags: ["z"], variables: { C: "own" } },
      },
      [],
    );
    expect(problems).toEqual([]);
    expect(jobs.get("job")).toEqual({
      image: "two",
      tags: ["z"],
      variables: { A: "base", B: "global", C: "own" },
      artifacts: { reports: { dotenv: "a.env" } },
    });
  });

  it("lets the file's own definition of a job override an included one's keys", () => {
    const { jobs } = resolveJobs({ job: { variables: { B: "file" } } }, [
      { job: { script: ["x"], variables: { A: "included", B: "included" } } },
    ]);
    expect(jobs.get("job")).toEqual({ script: ["x"], variables: { A: "included", B: "file" } });
  });

  it("reports an extends cycle instead of looping", () => {
    const { problems } = resolveJobs(
      { ".a": { extends: ".b" }, ".b": { extends: ".a" }, job: { extends: ".a" } },
      [],
    );
    // Reported once, on the job whose extends closes the cycle.
    expect(problems).toEqual([{ job: ".b", key: "extends", message: "extends itself through .a → .b → .a" }]);
  });
});

describe("localIncludes", () => {
  it("reads every local form and skips remote, project and template includes", () => {
    expect(
      localIncludes({
        include: [
          "ci/a.yml",
          { local: "/ci/b.yml" },
          "https://example.com/c.yml",
          { remote: "https://example.com/d.yml" },
          { project: "group/project", file: "e.yml" },
          { template: "Auto-DevOps.gitlab-ci.yml" },
        ],
      }),
    ).toEqual(["ci/a.yml", "/ci/b.yml"]);
    expect(localIncludes({ include: "ci/only.yml" })).toEqual(["ci/only.yml"]);
    expect(localIncludes({})).toEqual([]);
  });
});
