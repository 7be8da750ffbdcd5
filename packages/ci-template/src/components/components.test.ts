import { describe, expect, it } from "vitest";
import { expandMatrixJobs } from "../matrix.ts";
import { includeComponent } from "./include.ts";
import { checkInputs, unportableRegex } from "./inputs.ts";
import { interpolate } from "./interpolate.ts";

describe("interpolate", () => {
  it("puts a value where a string is one block (an array stays an array), and text inside a longer string", () => {
    const jobs = {
      "$[[ inputs.prefix ]]build": {
        parallel: { matrix: [{ ARCH: "$[[ inputs.arches ]]" }] },
        retry: "$[[ inputs.retries ]]",
        image: "repo/tool:$[[ component.version ]]",
        script: ["echo '$[[ inputs.arches ]]' $[[ inputs.flag ]]"],
      },
    };
    const inputs = { prefix: "app-", arches: ["amd64", "arm64"], retries: 2, flag: true };
    expect(interpolate(jobs, inputs, { version: "1.2.3" })).toEqual({
      "app-build": {
        parallel: { matrix: [{ ARCH: ["amd64", "arm64"] }] },
        retry: 2,
        image: "repo/tool:1.2.3",
        script: [`echo '["amd64","arm64"]' true`],
      },
    });
  });

  it("refuses a block the component does not declare", () => {
    expect(() => interpolate({ job: { script: ["$[[ inputs.missing ]]"] } }, {}, { version: "" })).toThrow(
      expect.objectContaining({ code: "POLYARCH_E_COMPONENT_INVALID" }),
    );
  });
});

describe("checkInputs", () => {
  const spec = {
    name: { description: "n", regex: "^[a-z]+$" },
    count: { type: "number" as const, description: "c", default: 1 },
    mode: { description: "m", default: "fast", options: ["fast", "slow"] },
  };

  it("fills in defaults and collects every problem at once", () => {
    expect(checkInputs(spec, { name: "ok" }, "here")).toEqual({
      values: { name: "ok", count: 1, mode: "fast" },
      problems: [],
    });
    const { problems } = checkInputs(spec, { nmae: "x", count: "3", mode: "quick" }, "here");
    expect(problems.map((problem) => problem.key)).toEqual([
      "here.inputs.nmae",
      "here.inputs.name",
      "here.inputs.count",
      "here.inputs.mode",
    ]);
    expect(problems[0]!.message).toContain("did you mean name?");
  });
});

describe("unportableRegex", () => {
  it.each(["^(?=a)", "(a)\\1", "(?P<n>a)", "(?i)abc", "\\Aabc\\z", "[[:alpha:]]", "\\p{L}", "\\x{41}"])(
    "reports %s, which RE2 and JavaScript read differently",
    (regex) => {
      expect(unportableRegex(regex)).toBeDefined();
    },
  );

  it.each(["^[a-z0-9][a-z0-9_-]*$", "^v?\\d+\\.\\d+$", "^(amd64|arm64)$", "\\bword\\b"])(
    "accepts %s, which both read alike",
    (regex) => {
      expect(unportableRegex(regex)).toBeUndefined();
    },
  );
});

describe("expandMatrixJobs", () => {
  it("makes one job per combination, named as GitLab names them, with matrix variables expanded", () => {
    const jobs = new Map([
      [
        "build",
        {
          tags: ["runner-$ARCH"],
          parallel: { matrix: [{ ARCH: ["amd64", "arm64"], OS: "linux" }] },
          // biome-ignore lint/suspicious/noTemplateCurlyInString: a CI variable reference, as GitLab writes it.
          variables: { PLATFORM: "${OS}/$ARCH" },
        },
      ],
    ]);
    expect([...expandMatrixJobs(jobs)]).toEqual([
      [
        "build: [amd64, linux]",
        { tags: ["runner-amd64"], variables: { PLATFORM: "linux/amd64", ARCH: "amd64", OS: "linux" } },
      ],
      [
        "build: [arm64, linux]",
        { tags: ["runner-arm64"], variables: { PLATFORM: "linux/arm64", ARCH: "arm64", OS: "linux" } },
      ],
    ]);
  });
});

describe("includeComponent", () => {
  const include = { address: "gitlab.example.com/g/p/c@1.0.0", inputs: { name: "app" } };

  it("refuses a file that is not a spec document and the jobs, naming it", () => {
    for (const text of [
      "job:\n  script: [x]\n",
      "spec: {inputs: {}}\n---\njob: [\n",
      "a: 1\n---\nb: 2\n---\nc: 3\n",
    ]) {
      const { problems, file } = includeComponent(include, "templates/c.yml", text, "");
      expect(file).toBeUndefined();
      expect(problems[0]?.message).toContain("templates/c.yml is not a component");
    }
  });

  it("gives the interpolated jobs as a CI file once the inputs pass", () => {
    const text =
      "spec:\n  inputs:\n    name:\n      description: n\n---\n$[[ inputs.name ]]-job:\n  script:\n    - echo $[[ inputs.name ]]\n";
    const { problems, file } = includeComponent(include, "templates/c.yml", text, "");
    expect(problems).toEqual([]);
    expect(file?.text).toContain("app-job:\n  script:\n    - echo app\n");
  });
});
