import { PolyarchError } from "@polyarch/errors";
import type { CiDocument } from "../ci-yaml.ts";

/** An input's value once given or defaulted. */
export type InputValue = string | number | boolean | readonly string[];

const BLOCK = /\$\[\[\s*(inputs|component)\.([\w-]+)\s*\]\]/g;
const WHOLE_BLOCK = /^\$\[\[\s*(inputs|component)\.([\w-]+)\s*\]\]$/;

/**
 * A component's jobs with `$[[ inputs.x ]]` and `$[[ component.version ]]` replaced, as GitLab does: a
 * string that is one block becomes the value itself (an array stays an array), a block inside a longer
 * string becomes text (an array as JSON). Keys are interpolated too. Pure; every input must be present.
 */
export function interpolate(
  jobs: CiDocument,
  inputs: Readonly<Record<string, InputValue>>,
  component: { version: string },
): CiDocument {
  const blockValue = (scope: string, name: string): InputValue => {
    const value = scope === "inputs" ? inputs[name] : name === "version" ? component.version : undefined;
    if (value === undefined)
      throw new PolyarchError(
        "POLYARCH_E_COMPONENT_INVALID",
        `the component's jobs use $[[ ${scope}.${name} ]], which it does not declare`,
        { hint: "declare the input under spec: inputs: (component: version for $[[ component.version ]])" },
      );
    return value;
  };
  const text = (value: string): string =>
    value.replaceAll(BLOCK, (_, scope: string, name: string) => {
      const replacement = blockValue(scope, name);
      return typeof replacement === "string" ? replacement : JSON.stringify(replacement);
    });
  const walk = (value: unknown): unknown => {
    if (typeof value === "string") {
      const whole = WHOLE_BLOCK.exec(value);
      return whole ? blockValue(whole[1]!, whole[2]!) : text(value);
    }
    if (Array.isArray(value)) return value.map(walk);
    if (value !== null && typeof value === "object")
      return Object.fromEntries(Object.entries(value).map(([key, entry]) => [text(key), walk(entry)]));
    return value;
  };
  return walk(jobs) as CiDocument;
}
