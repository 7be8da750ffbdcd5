import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { validateFleetYaml } from "./parse-yaml.ts";
import { renderFleet } from "./render.ts";
import { EXAMPLE_FLEET_PATH } from "./testing/fleets.ts";

describe("examples/fleet.yaml", () => {
  const validation = validateFleetYaml(readFileSync(EXAMPLE_FLEET_PATH, "utf8"));
  if (!validation.ok)
    throw new Error(`examples/fleet.yaml is invalid: ${JSON.stringify(validation.problems)}`);
  const rendered = renderFleet(validation.fleet);

  test("renders config.toml, values.yaml and secret.example.yaml without warnings", () => {
    expect(rendered.files.map((file) => file.name)).toEqual([
      "config.toml",
      "values.yaml",
      "secret.example.yaml",
    ]);
    expect(rendered.warnings).toEqual([]);
  });

  test.each(["config.toml", "values.yaml", "secret.example.yaml"])(
    "%s matches its golden file",
    async (name) => {
      const file = rendered.files.find((candidate) => candidate.name === name)!;
      await expect(file.content).toMatchFileSnapshot(`./__snapshots__/example/${name}`);
    },
  );

  test("renders the same bytes every time, each file ending with one newline", () => {
    const again = validateFleetYaml(readFileSync(EXAMPLE_FLEET_PATH, "utf8"));
    expect(again.ok && renderFleet(again.fleet)).toEqual(rendered);
    for (const file of rendered.files) expect(file.content, file.name).toMatch(/[^\n]\n$/);
  });
});
