import type { CiDocument } from "../ci-yaml.ts";

/**
 * A GitLab CI/CD component's input, as `spec: inputs:` declares it.
 * https://docs.gitlab.com/ci/inputs/#define-input-parameters-with-specinputs
 */
export interface ComponentInput {
  /** @default "string" */
  type?: "string" | "array" | "number" | "boolean";
  description: string;
  /** No default: the input is required. */
  default?: string | number | boolean | readonly string[];
  options?: readonly string[];
  /** Only syntax RE2 (GitLab) and JavaScript read alike: see `checkRegexPortable`. */
  regex?: string;
}

/**
 * A component of this project (`templates/<name>.yml`): its inputs and its jobs, whose strings may hold
 * `$[[ inputs.<name> ]]` and `$[[ component.version ]]`, as GitLab interpolates them.
 */
export interface Component {
  name: string;
  /** What it does, in one sentence: the file's header and the README's. */
  description: string;
  inputs: Readonly<Record<string, ComponentInput>>;
  jobs: CiDocument;
}

/** `$[[ inputs.<name> ]]`: where a component's jobs use an input. */
export function input(name: string): string {
  return `$[[ inputs.${name} ]]`;
}

/** The component's release (`1.2.3`); empty when included by SHA or branch. */
export const COMPONENT_VERSION = "$[[ component.version ]]";
