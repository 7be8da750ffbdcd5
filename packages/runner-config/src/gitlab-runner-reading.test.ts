// How gitlab-runner reads what polyarch renders (common/config.go's KubernetesConfig and the chart's
// templates): tolerations keyed by key=value, token expansion from 18.10.0, native seccomp from 18.11.0,
// and the fleet-file mistakes that used to get vague messages or none.
import { parse } from "smol-toml";
import { describe, expect, test } from "vitest";
import { validateFleetYaml } from "./parse-yaml.ts";
import { renderConfigToml } from "./render-toml.ts";
import { atLeast, pinnedRunnerVersion, versionOfImage } from "./runner-version.ts";
import type { FleetInput } from "./schema.ts";
import { fleetFrom, minimalFleetData } from "./testing/fleets.ts";
import { validateFleet } from "./validate.ts";
import { fleetWarnings } from "./warnings.ts";

// biome-ignore lint/suspicious/noExplicitAny: the parsed TOML is inspected by path
type Parsed = any;
const DIGEST = `sha256:${"cd".repeat(32)}`;

function fleetWith(change: (data: Parsed) => void): FleetInput {
  const data = minimalFleetData() as Parsed;
  change(data);
  return data;
}
const kubernetesOf = (data: FleetInput): Parsed =>
  (parse(renderConfigToml(fleetFrom(data))).runners as Parsed)[0].kubernetes;

describe("node_tolerations", () => {
  const twoEffects = fleetWith((data) => {
    data.runners[0].kubernetes.tolerations = {
      arm64: [
        { key: "dedicated", value: "ci", effect: "NoSchedule" },
        { key: "dedicated", value: "ci", effect: "NoExecute" },
        { key: "kubernetes.io/arch", value: "arm64", effect: "NoSchedule" },
      ],
    };
  });

  test("one key=value with two effects becomes the empty effect (every effect), so neither is lost", () => {
    const kubernetes = kubernetesOf(twoEffects);
    expect(kubernetes.node_tolerations).toEqual({
      "dedicated=ci": "",
      "kubernetes.io/arch=arm64": "NoSchedule",
    });
    // Jobs may still ask for exactly the configured ones.
    expect(kubernetes.node_tolerations_overwrite_allowed).toBe(
      "^(dedicated=ci:NoSchedule|dedicated=ci:NoExecute|kubernetes\\.io/arch=arm64:NoSchedule)$",
    );
  });

  test("says so in a warning naming the key and both effects", () => {
    expect(fleetWarnings(fleetFrom(twoEffects))).toEqual([
      'runners k8s: tolerations of dedicated=ci with effects NoSchedule and NoExecute are rendered as node_tolerations "dedicated=ci" = "" (every effect), because gitlab-runner\'s node_tolerations holds one effect per key',
    ]);
  });
});

describe("the gitlab-runner version a fleet pins", () => {
  test("is read from manager.image, else helper_image, in the tag forms upstream uses", () => {
    expect(versionOfImage("registry.gitlab.com/gitlab-org/gitlab-runner:alpine-v18.11.0")).toEqual([
      18, 11, 0,
    ]);
    expect(versionOfImage(`r.example/gitlab-runner-helper:x86_64-v18.9.2@${DIGEST}`)).toEqual([18, 9, 2]);
    expect(versionOfImage("r.example/gitlab-runner-helper:latest")).toBeUndefined();
    expect(versionOfImage("localhost:5000/helper")).toBeUndefined();
    const both = fleetFrom(
      fleetWith((data) => {
        data.runners[0].kubernetes.manager = { image: "gitlab/gitlab-runner:v18.12.1" };
      }),
    );
    expect(pinnedRunnerVersion(both)).toEqual({ version: [18, 12, 1], from: "manager.image" });
    expect(pinnedRunnerVersion(fleetFrom(minimalFleetData()))).toEqual({
      version: [18, 10, 0],
      from: "helper_image",
    });
    expect(atLeast([18, 10, 0], [18, 10, 0])).toBe(true);
    expect(atLeast([18, 9, 9], [18, 10, 0])).toBe(false);
    expect(atLeast([19, 0, 0], [18, 11, 0])).toBe(true);
  });

  test('token = "$VAR" carries the minimum version in config.toml, and a fleet pinning an older runner warns', () => {
    const toml = renderConfigToml(fleetFrom(minimalFleetData()));
    expect(toml).toContain(
      "  # gitlab-runner 18.10.0 and later expand $RUNNER_TOKEN from their environment; for an older runner substitute it on install: envsubst '$RUNNER_TOKEN' < config.toml > /etc/gitlab-runner/config.toml (mode 0600)\n  token = \"$RUNNER_TOKEN\"\n",
    );
    expect(fleetWarnings(fleetFrom(minimalFleetData()))).toEqual([]);
    const old = fleetWith((data) => {
      data.helper_image = `registry.example.com/ci/gitlab-runner-helper:v18.9.0@${DIGEST}`;
    });
    expect(fleetWarnings(fleetFrom(old))).toEqual([
      expect.stringMatching(
        /^runners host: token = "\$RUNNER_TOKEN" is expanded by gitlab-runner 18\.10\.0 and later, and this fleet pins 18\.9\.0 \(helper_image\); .*envsubst/,
      ),
    ]);
  });

  test("from 18.11.0 the seccomp profile is rendered natively in pod_security_context, with no pod_spec patch", () => {
    const native = fleetWith((data) => {
      data.helper_image = `registry.example.com/ci/gitlab-runner-helper:v18.11.0@${DIGEST}`;
      data.runners[0].kubernetes.security = { seccomp: "Unconfined" };
    });
    const runner = (parse(renderConfigToml(fleetFrom(native))).runners as Parsed)[0];
    expect(runner.kubernetes.pod_security_context.seccomp_profile).toEqual({ type: "Unconfined" });
    expect(runner.kubernetes.pod_spec).toBeUndefined();
    expect(runner.feature_flags).toBeUndefined();
    // Before 18.11.0 (and with no version pinned) the pod_spec patch stays.
    const older = (parse(renderConfigToml(fleetFrom(minimalFleetData()))).runners as Parsed)[0];
    expect(older.kubernetes.pod_security_context.seccomp_profile).toBeUndefined();
    expect(older.kubernetes.pod_spec[0].name).toBe("seccomp");
    expect(older.feature_flags).toEqual({ FF_USE_ADVANCED_POD_SPEC_CONFIGURATION: true });
  });

  test("a Localhost profile names its file: localhost_profile from 18.11.0, localhostProfile in the pod_spec patch before", () => {
    const localhost = (version: string) =>
      fleetWith((data) => {
        data.helper_image = `registry.example.com/ci/gitlab-runner-helper:v${version}@${DIGEST}`;
        data.runners[0].kubernetes.security = {
          seccomp: "Localhost",
          seccomp_localhost_profile: "profiles/ci.json",
        };
      });
    const native = (parse(renderConfigToml(fleetFrom(localhost("18.11.0")))).runners as Parsed)[0];
    expect(native.kubernetes.pod_security_context.seccomp_profile).toEqual({
      type: "Localhost",
      localhost_profile: "profiles/ci.json",
    });
    const patched = (parse(renderConfigToml(fleetFrom(localhost("18.10.0")))).runners as Parsed)[0];
    expect(JSON.parse(patched.kubernetes.pod_spec[0].patch)).toEqual({
      securityContext: { seccompProfile: { type: "Localhost", localhostProfile: "profiles/ci.json" } },
    });
    // A profile of the node's own is no opt-out: no warning.
    expect(fleetWarnings(fleetFrom(localhost("18.11.0")))).toEqual([]);
  });

  test("seccomp: Localhost and seccomp_localhost_profile go together, and the profile stays below the kubelet's directory", () => {
    const problems = (security: Record<string, unknown>) => {
      const result = validateFleet(fleetWith((data) => (data.runners[0].kubernetes.security = security)));
      return result.ok ? [] : result.problems.map((problem) => `${problem.path}: ${problem.message}`);
    };
    expect(problems({ seccomp: "Localhost" })).toEqual([
      "runners[0].kubernetes.security.seccomp_localhost_profile: is required with seccomp: Localhost; name the profile on the node (profiles/ci.json)",
    ]);
    expect(problems({ seccomp_localhost_profile: "profiles/ci.json" })).toEqual([
      "runners[0].kubernetes.security.seccomp_localhost_profile: applies only with seccomp: Localhost; set seccomp: Localhost or remove it",
    ]);
    for (const path of ["/var/lib/kubelet/seccomp/ci.json", "../ci.json", "profiles/../../ci.json"])
      expect(problems({ seccomp: "Localhost", seccomp_localhost_profile: path })).toEqual([
        `runners[0].kubernetes.security.seccomp_localhost_profile: ${JSON.stringify(path)} is not a path relative to the kubelet's seccomp directory, without .. (profiles/ci.json)`,
      ]);
  });
});

describe("warnings a deployer needs", () => {
  test("a plain-HTTP GitLab URL", () => {
    const fleet = fleetFrom(fleetWith((data) => (data.gitlab.url = "http://gitlab.internal")));
    expect(fleetWarnings(fleet)).toEqual([
      expect.stringMatching(/^gitlab\.url http:\/\/gitlab\.internal is plain HTTP: .*use https:\/\//),
    ]);
  });

  test("a runner limit above global.concurrent", () => {
    const fleet = fleetFrom(
      fleetWith((data) => {
        data.global = { concurrent: 4 };
        data.runners[1].limit = 8;
      }),
    );
    expect(fleetWarnings(fleet)).toEqual([
      "runners host: limit 8 exceeds global.concurrent 4, so it never runs more than 4 jobs; raise concurrent or lower limit",
    ]);
  });
});

describe("problems named precisely", () => {
  const problemsOf = (data: unknown) => {
    const result = validateFleet(data);
    return result.ok ? [] : result.problems.map((p) => `${p.path}: ${p.message}`);
  };

  test("an invalid manager.image reference is refused with the reason", () => {
    for (const image of ["a..b/gitlab-runner:v18.11.0", "Gitlab/Runner:v1"]) {
      const problems = problemsOf(fleetWith((data) => (data.runners[0].kubernetes.manager = { image })));
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(
        new RegExp(
          `^runners\\[0\\]\\.kubernetes\\.manager\\.image: "${image.replace(/[.$]/g, "\\$&")}" is not`,
        ),
      );
      expect(problems[0]).toContain("[registry/]repository[:tag][@sha256:digest]");
    }
  });

  test("record keys and quantities name the value and the valid form (no bare 'Invalid input')", () => {
    const problems = problemsOf(
      fleetWith((data) => {
        data.runners[0].kubernetes.node_selector = { "Bad Key!": "x" };
        data.runners[0].kubernetes.resources = { cpu_limit: [2] };
        data.runners[1].environment = { "bad-name": "x" };
      }),
    );
    expect(problems).toEqual([
      'runners[0].kubernetes.node_selector["Bad Key!"]: "Bad Key!" is not a Kubernetes label key',
      "runners[0].kubernetes.resources.cpu_limit: [2] is not a Kubernetes quantity (500m, 2, 4Gi)",
      'runners[1].environment.bad-name: "bad-name" is not an environment variable name (letters, digits and _, not starting with a digit)',
    ]);
    for (const problem of problems) expect(problem).not.toMatch(/Invalid (input|key in record)/);
  });

  test("a YAML merge key is applied, explicit keys winning, as GitLab CI files use them", () => {
    const text = [
      "version: 1",
      "gitlab: { url: https://gitlab.example.com }",
      "runners:",
      "  - &host",
      "    name: host-a",
      "    executor: custom",
      "    token: $RUNNER_A_TOKEN",
      "    limit: 2",
      "  - <<: *host",
      "    name: host-b",
      "    token: $RUNNER_B_TOKEN",
    ].join("\n");
    const result = validateFleetYaml(text);
    if (!result.ok) throw new Error(result.problems.map((p) => `${p.path}: ${p.message}`).join("\n"));
    const [a, b] = result.fleet.runners;
    expect([a?.name, a?.limit, b?.name, b?.limit, b?.executor]).toEqual(["host-a", 2, "host-b", 2, "custom"]);
    expect(JSON.stringify(result.fleet)).not.toContain("<<");
  });
});
