import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { fleetJsonSchema, fleetJsonSchemaText } from "./json-schema.ts";
import { EXAMPLE_FLEET_PATH } from "./testing/fleets.ts";

// biome-ignore lint/suspicious/noExplicitAny: the schema is inspected by path
type Schema = any;

describe("fleet.schema.json", () => {
  test("is the schema generated from the validator (run `pnpm --filter @polyarch/runner-config schema`)", () => {
    // Compared as data: Biome formats the published file its own way.
    const published: unknown = JSON.parse(
      readFileSync(new URL("../fleet.schema.json", import.meta.url), "utf8"),
    );
    expect(published).toEqual(JSON.parse(fleetJsonSchemaText()));
  });

  test("describes strict objects, the architectures and the token reference forms for editors", () => {
    const schema: Schema = fleetJsonSchema();
    expect(schema.additionalProperties).toBe(false);
    expect(Object.keys(schema.properties)).toEqual([
      "version",
      "gitlab",
      "global",
      "helper_image",
      "runners",
    ]);
    const kubernetesRunner = schema.properties.runners.items.oneOf.find(
      (option: Schema) => option.properties.executor.const === "kubernetes",
    );
    expect(kubernetesRunner.additionalProperties).toBe(false);
    const architectures = kubernetesRunner.properties.kubernetes.properties.architectures;
    expect(architectures.items.enum).toEqual(["amd64", "arm64", "arm", "s390x", "ppc64le", "riscv64"]);
    const token = kubernetesRunner.properties.token.anyOf;
    expect(token.map((option: Schema) => option.type)).toEqual(["string", "object", "object"]);
    expect(token[0].pattern).toMatch(/^\^\\\$/);
    expect(kubernetesRunner.required).toEqual(
      expect.arrayContaining(["name", "token", "executor", "kubernetes"]),
    );
  });

  test("is what the example's yaml-language-server modeline points at", () => {
    const firstLine = readFileSync(EXAMPLE_FLEET_PATH, "utf8").split("\n")[0];
    expect(firstLine).toBe("# yaml-language-server: $schema=../packages/runner-config/fleet.schema.json");
    expect(new URL("../packages/runner-config/fleet.schema.json", EXAMPLE_FLEET_PATH).pathname).toBe(
      new URL("../fleet.schema.json", import.meta.url).pathname,
    );
  });
});
