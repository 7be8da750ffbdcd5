import { readFileSync } from "node:fs";
import { parse as parseToml } from "smol-toml";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { renderFleet } from "./render.ts";
import type { FleetInput } from "./schema.ts";
import { DIGEST } from "./testing/fleets.ts";
import { validateFleet } from "./validate.ts";

/** What gitlab-runner's release script publishes as helper indexes at v19.2.0 (reference/README.md). */
const upstream = JSON.parse(
  readFileSync(new URL("../reference/gitlab-runner-helper-indexes-v19.2.0.json", import.meta.url), "utf8"),
) as { tag: string; indexes: Record<string, string[]> };

function kubernetesFleet(managerImage: string | undefined, helperImage?: string): FleetInput {
  return {
    version: 1,
    gitlab: { url: "https://gitlab.example.com" },
    ...(helperImage !== undefined && { helper_image: helperImage }),
    runners: [
      {
        name: "k8s",
        executor: "kubernetes",
        token: { kubernetes_secret: "gitlab-runner-token" },
        kubernetes: {
          namespace: "ci",
          architectures: ["amd64", "arm64"],
          ...(managerImage !== undefined && { manager: { image: managerImage } }),
        },
      },
    ],
  } as FleetInput;
}

function rendered(data: FleetInput) {
  const result = validateFleet(data);
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  const files = renderFleet(result.fleet);
  const file = (name: string) => files.files.find((f) => f.name === name)?.content ?? "";
  return {
    toml: parseToml(file("config.toml")),
    values: parseYaml(file("values.yaml")),
    warnings: files.warnings,
  };
}

describe("a Kubernetes fleet on gitlab-runner 19.2 or later names no helper image", () => {
  it("gets upstream's Linux-only multi-arch helper of its manager's version, in config.toml and the chart's config", () => {
    const { toml, values, warnings } = rendered(kubernetesFleet("gitlab/gitlab-runner:alpine-v19.2.1"));
    const helper = "registry.gitlab.com/gitlab-org/gitlab-runner/gitlab-runner-helper:alpine-latest-v19.2.1";
    const runners = (toml as { runners: Array<{ kubernetes: { helper_image?: string } }> }).runners;
    expect(runners[0]?.kubernetes.helper_image).toBe(helper);
    expect((values as { runners: { config: string } }).runners.config).toContain(
      `helper_image = "${helper}"`,
    );
    expect(warnings.join("\n")).toContain(`helper_image ${helper} is not pinned by digest`);
  });

  it("is an index upstream publishes with Linux images of both architectures only; the bare tag holds Windows too", () => {
    // The tag render writes, with its version as upstream's release script writes it: `%`.
    const { toml } = rendered(kubernetesFleet("gitlab/gitlab-runner:alpine-v19.2.0"));
    const tag = (
      toml as { runners: Array<{ kubernetes: { helper_image: string } }> }
    ).runners[0]?.kubernetes.helper_image
      .split(":")
      .at(-1);
    const template = tag?.replace("v19.2.0", "%") ?? "";
    const components = upstream.indexes[template];
    expect(components, `upstream ${upstream.tag} publishes no index ${template}`).toBeDefined();
    expect(components).toEqual(expect.arrayContaining(["alpine-latest-x86_64", "alpine-latest-arm64"]));
    expect(components?.filter((c) => c.includes("windows"))).toEqual([]);
    expect(upstream.indexes["%"]?.some((c) => c.includes("windows"))).toBe(true);
  });

  it("keeps a helper the fleet names (a mirror), whatever the version", () => {
    const mirror = `registry.example.com/ci/gitlab-runner-helper:v19.2.0@${DIGEST}`;
    const { toml } = rendered(kubernetesFleet("gitlab/gitlab-runner:alpine-v19.3.0", mirror));
    const runners = (toml as { runners: Array<{ kubernetes: { helper_image?: string } }> }).runners;
    expect(runners[0]?.kubernetes.helper_image).toBe(mirror);
  });

  it.each([
    ["a manager before 19.2.0", "gitlab/gitlab-runner:alpine-v19.1.2"],
    ["a manager whose tag names no version", "gitlab/gitlab-runner:latest"],
    ["no manager image", undefined],
  ])("still needs helper_image with %s", (_, managerImage) => {
    const result = validateFleet(kubernetesFleet(managerImage));
    expect(result.ok).toBe(false);
    if (!result.ok)
      expect(result.problems).toContainEqual({
        path: "helper_image",
        message: expect.stringContaining("is required for kubernetes runners before gitlab-runner 19.2.0"),
      });
  });
});
