import { describe, expect, test } from "vitest";
import { renderFleet } from "./render.ts";
import { TOKEN_PLACEHOLDER } from "./render-secret.ts";
import { exampleFleetData, fleetFrom, maximalFleetData, minimalFleetData } from "./testing/fleets.ts";
import { findTokenKind } from "./tokens.ts";
import { validateFleet } from "./validate.ts";

describe("tokens never reach a rendered file", () => {
  const fleets = { example: exampleFleetData(), minimal: minimalFleetData(), maximal: maximalFleetData() };

  test.each(Object.entries(fleets))("the %s fleet renders references and placeholders only", (_, data) => {
    // The runner expands $RUNNER_TOKEN at run time; polyarch must never expand it while rendering.
    const tokens = { RUNNER_TOKEN: "glrt-ZnJvbWVudmlyb25tZW50", HOST_TOKEN: "glrt-aG9zdHRva2VudmFsdWU" };
    const saved = { ...process.env };
    Object.assign(process.env, tokens);
    try {
      for (const file of renderFleet(fleetFrom(data)).files) {
        expect(findTokenKind(file.content), file.name).toBeUndefined();
        expect(file.content, file.name).not.toMatch(/glrt-[0-9A-Za-z]|GR1348941/);
        for (const token of Object.values(tokens)) expect(file.content, file.name).not.toContain(token);
      }
    } finally {
      for (const name of Object.keys(tokens)) if (!(name in saved)) delete process.env[name];
      Object.assign(process.env, saved);
    }
  });

  test("the Secret template carries the placeholder and an empty registration token", () => {
    const secret = renderFleet(fleetFrom(minimalFleetData())).files.find(
      (file) => file.name === "secret.example.yaml",
    );
    expect(secret?.content).toContain(`runner-token: ${TOKEN_PLACEHOLDER}\n`);
    expect(secret?.content).toContain('runner-registration-token: ""\n');
  });

  test("a token written anywhere in the fleet stops validation, so nothing is rendered from it", () => {
    const token = "glrt-Zm9vYmFyYmF6cXV4cXV1eA";
    const places: ((data: ReturnType<typeof minimalFleetData>) => void)[] = [
      (data) => Object.assign(data.runners[1]!, { token }),
      (data) => Object.assign(data.runners[1]!, { token: { env: token } }),
      (data) => Object.assign(data.runners[0]!, { token: { kubernetes_secret: token } }),
      (data) => Object.assign(data.runners[1]!, { environment: { CI_TOKEN: token } }),
      (data) => Object.assign(data.gitlab, { url: `https://gitlab.example.com/?token=${token}` }),
      (data) => Object.assign(data, { helper_image: `registry.example.com/${token}:1` }),
    ];
    for (const place of places) {
      const data = minimalFleetData();
      place(data);
      const result = validateFleet(data);
      expect(result.ok).toBe(false);
      expect(JSON.stringify(result)).not.toContain("Zm9vYmFy");
    }
  });
});
