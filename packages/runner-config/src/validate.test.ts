import { describe, expect, test } from "vitest";
import { validateFleetYaml } from "./parse-yaml.ts";
import type { Problem } from "./problems.ts";
import { maximalFleetData, minimalFleetData } from "./testing/fleets.ts";
import { validateFleet } from "./validate.ts";

// biome-ignore lint/suspicious/noExplicitAny: tests reshape fixture data freely to produce invalid input
type Loose = any;

function problemsOf(mutate: (fleet: Loose) => void): Problem[] {
  const data: Loose = minimalFleetData();
  mutate(data);
  const result = validateFleet(data);
  if (result.ok) throw new Error("expected the fleet to be invalid");
  return result.problems;
}

const lines = (problems: Problem[]) => problems.map((problem) => `${problem.path}: ${problem.message}`);

describe("validateFleet", () => {
  test("accepts the fixtures and applies documented defaults", () => {
    const result = validateFleet(minimalFleetData());
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.fleet.global).toEqual({
      concurrent: 10,
      check_interval: 3,
      log_level: "info",
      log_format: "runner",
      shutdown_timeout: 30,
    });
    const [k8s, host] = result.fleet.runners;
    expect(k8s?.executor === "kubernetes" && k8s.kubernetes.security).toMatchObject({
      privileged: false,
      allow_privilege_escalation: false,
      run_as_non_root: true,
      seccomp: "RuntimeDefault",
      drop_all_capabilities: true,
    });
    expect(host?.token).toEqual({ env: "RUNNER_TOKEN" });
    expect(host?.executor === "custom" && host.custom.executor_path).toBe("/usr/local/bin/polyarch-executor");
    expect(validateFleet(maximalFleetData()).ok).toBe(true);
  });

  test("names the bad architecture with its dot-path and lists the valid ones", () => {
    const problems = problemsOf((fleet) => {
      fleet.runners.unshift({ ...fleet.runners[1], name: "first" });
      fleet.runners[1].kubernetes.architectures = ["amd64", "arm64", "x86"];
    });
    expect(lines(problems)).toEqual([
      'runners[1].kubernetes.architectures[2]: "x86" is not an architecture; use amd64, arm64, arm, s390x, ppc64le or riscv64',
    ]);
  });

  test("refuses unknown keys and suggests the closest valid key", () => {
    const problems = problemsOf((fleet) => {
      fleet.runners[0].kubernetes.architecure = ["amd64"];
      fleet.runners[0].kubernetes.resources = { memory_limt: "1Gi" };
      fleet.globl = {};
      fleet.runners[1].frobnicate = true;
    });
    expect(lines(problems)).toEqual([
      'globl: unknown key; did you mean "global"? (valid keys: version, gitlab, global, helper_image, runners)',
      expect.stringMatching(
        /^runners\[0\]\.kubernetes\.architecure: unknown key; did you mean "architectures"\? \(valid keys: namespace, .*, manager\)$/,
      ),
      'runners[0].kubernetes.resources.memory_limt: unknown key; did you mean "memory_limit"?',
      expect.stringMatching(
        /^runners\[1\]\.frobnicate: unknown key \(valid keys: name, token, limit, .*, custom\)$/,
      ),
    ]);
  });

  test("reports missing keys, wrong types and malformed values", () => {
    const problems = problemsOf((fleet) => {
      delete fleet.gitlab.url;
      fleet.global = { concurrent: "ten" };
      fleet.runners[0].kubernetes.namespace = "CI Jobs";
      fleet.runners[0].kubernetes.resources = { cpu_limit: "lots" };
      fleet.runners[0].kubernetes.image = "Not An Image!";
      fleet.runners[1].custom = { builds_dir: "relative/builds" };
      fleet.runners[1].executor = "docker";
    });
    expect(lines(problems)).toEqual([
      "gitlab.url: is required (a string)",
      'global.concurrent: must be a number, not string "ten"',
      expect.stringContaining('runners[0].kubernetes.image: "Not An Image!" is not an image reference'),
      'runners[0].kubernetes.namespace: "CI Jobs" is not a Kubernetes name (RFC 1123 label)',
      'runners[0].kubernetes.resources.cpu_limit: "lots" is not a Kubernetes quantity (500m, 2, 4Gi)',
      'runners[1].executor: "docker" is not a supported executor; use kubernetes or custom',
    ]);
  });

  test("collects every problem of a fleet in one pass, in document order", () => {
    const problems = problemsOf((fleet) => {
      fleet.version = 2;
      fleet.runners[0].kubernetes.architectures = ["amd64", "arm64", "arm64"];
      fleet.runners[0].kubernetes.default_architecture = "s390x";
      fleet.runners[0].kubernetes.tolerations = {
        riscv64: [{ key: "kubernetes.io/arch", operator: "Exists", value: "riscv64", effect: "NoSchedule" }],
      };
      fleet.runners[0].kubernetes.node_selector = { "kubernetes.io/arch": "amd64" };
      fleet.runners[0].kubernetes.security = { run_as_user: 0 };
      fleet.runners[1].name = "k8s";
      fleet.runners[1].cache = { type: "s3", credentials_secret: "s3access", s3: { bucket_name: "b" } };
    });
    expect(lines(problems)).toEqual([
      "runners[0].kubernetes.architectures: lists arm64 twice",
      "runners[0].kubernetes.default_architecture: s390x is not in architectures (amd64, arm64 or arm64)",
      'runners[0].kubernetes.node_selector["kubernetes.io/arch"]: is set by polyarch from architectures and default_architecture; remove it here',
      "runners[0].kubernetes.security.run_as_user: 0 is root, which run_as_non_root refuses; use a non-zero user ID",
      "runners[0].kubernetes.tolerations.riscv64: riscv64 is not in architectures (amd64, arm64 or arm64)",
      "runners[0].kubernetes.tolerations.riscv64[0].value: must be omitted when operator is Exists",
      expect.stringMatching(
        /^runners\[1\]\.cache\.credentials_secret: is the chart's runners\.cache\.secretName/,
      ),
      'runners[1].name: "k8s" is already the name of runners[0]',
      "version: must be 1 (the fleet file format version)",
    ]);
  });

  test("refuses a literal runner authentication token wherever it appears, without repeating it", () => {
    const token = "glrt-t0ps3cr3tV4lu3abcd";
    const problems = problemsOf((fleet) => {
      fleet.runners[1].token = token;
      fleet.runners[1].environment = { LEAK: `token=${token}` };
      fleet.runners[1].name = token;
    });
    expect(problems.map((problem) => problem.path)).toEqual([
      "runners[1].environment.LEAK",
      "runners[1].name",
      "runners[1].token",
    ]);
    expect(
      problems.filter((problem) => problem.message.startsWith("a literal runner authentication token")),
    ).toHaveLength(3);
    expect(JSON.stringify(problems)).not.toContain("t0ps3cr3t");
  });

  test("refuses legacy registration tokens with a hint about runner authentication tokens", () => {
    const problems = problemsOf((fleet) => {
      fleet.runners[1].token = "GR1348941aBcDeFgHiJkLmNoPqRsT";
      fleet.runners[0].registration_token = "$REGISTRATION_TOKEN";
    });
    expect(problems.map((problem) => problem.path)).toEqual([
      "runners[0].registration_token",
      "runners[1].token",
    ]);
    for (const problem of problems) {
      expect(problem.message).toMatch(/^legacy runner registration tokens are refused/);
      expect(problem.message).toContain("runner authentication token (glrt-…)");
    }
    expect(JSON.stringify(problems)).not.toContain("aBcDeFg");
  });

  test("matches the token reference to the executor", () => {
    const problems = problemsOf((fleet) => {
      fleet.runners[0].token = "$RUNNER_TOKEN";
      fleet.runners[1].token = { kubernetes_secret: "gitlab-runner-token" };
    });
    expect(lines(problems)).toEqual([
      "runners[0].token: the gitlab-runner chart reads the token of a kubernetes runner from a Secret; use token: { kubernetes_secret: NAME }",
      "runners[1].token: a custom-executor runner runs on a host, not in the chart; use token: $RUNNER_TOKEN",
    ]);
    expect(lines(problemsOf((fleet) => (fleet.runners[1].token = { value: "x" })))).toEqual([
      "runners[1].token: must be $VARIABLE, { env: VARIABLE } or { kubernetes_secret: NAME }",
    ]);
    expect(lines(problemsOf((fleet) => (fleet.runners[1].token = { env: "bad name" })))).toEqual([
      'runners[1].token.env: "bad name" is not an environment variable name (letters, digits and _, not starting with a digit)',
    ]);
    expect(lines(problemsOf((fleet) => (fleet.runners[1].token = "plain-text")))).toEqual([
      "runners[1].token: must reference the token, not contain it: $RUNNER_TOKEN or { kubernetes_secret: NAME }",
    ]);
  });

  test("allows one kubernetes runner per fleet and requires the helper image for it", () => {
    const problems = problemsOf((fleet) => {
      delete fleet.helper_image;
      fleet.runners.push({ ...fleet.runners[0], name: "second" });
    });
    expect(lines(problems)).toEqual([
      "helper_image: is required for kubernetes runners: the multi-arch helper image, pinned by digest",
      expect.stringMatching(/^runners\[2\]\.executor: a fleet holds at most one kubernetes runner/),
    ]);
  });

  test("refuses credentials in the GitLab URL", () => {
    const problems = problemsOf((fleet) => (fleet.gitlab.url = "https://root:hunter2@gitlab.example.com"));
    expect(lines(problems)).toEqual(["gitlab.url: must not contain credentials (user:password@)"]);
  });
});

describe("validateFleetYaml", () => {
  test("reports YAML syntax errors and duplicate keys by line and column", () => {
    const result = validateFleetYaml("version: 1\nversion: 1\nrunners: [\n");
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems.map((problem) => problem.path)).toEqual(["line 2, column 1", "line 4, column 1"]);
    expect(result.problems[0]?.message).toBe("Map keys must be unique");
  });

  test("reads a document that is not a mapping as one problem", () => {
    expect(validateFleetYaml("- just\n- a list\n")).toEqual({
      ok: false,
      problems: [{ path: "(fleet)", message: "must be a mapping, not a list" }],
    });
  });
});
