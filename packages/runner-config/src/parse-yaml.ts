import { parseYamlText } from "@polyarch/spec";
import { redactTokens } from "./tokens.ts";
import { type ValidationResult, validateFleet } from "./validate.ts";

/** A fleet file's text in, a typed fleet or every problem out, YAML syntax problems included. */
export function validateFleetYaml(text: string): ValidationResult {
  const yaml = parseYamlText(text);
  if (!yaml.ok) {
    const problems = yaml.problems.map((problem) => ({ ...problem, message: redactTokens(problem.message) }));
    return { ok: false, problems };
  }
  return validateFleet(yaml.value);
}
