export { fleetJsonSchema, fleetJsonSchemaText } from "./json-schema.ts";
export { validateFleetYaml } from "./parse-yaml.ts";
export type { ResolveDigest } from "./pin.ts";
export { pinHelperImage } from "./pin.ts";
export type { Problem } from "./problems.ts";
export { formatProblems } from "./problems.ts";
export type { RenderedFile, RenderedFileName, RenderedFleet } from "./render.ts";
export { renderFleet } from "./render.ts";
export { renderSecretExample } from "./render-secret.ts";
export { nodeSelectorOverwriteAllowed, renderConfigToml } from "./render-toml.ts";
export { renderValuesYaml } from "./render-values.ts";
export type {
  Architecture,
  CustomRunner,
  Fleet,
  FleetInput,
  KubernetesRunner,
  Runner,
  TokenReference,
} from "./schema.ts";
export { ARCHITECTURES, fleetSchema } from "./schema.ts";
export { findTokenKind, redactTokens } from "./tokens.ts";
export type { ValidationResult } from "./validate.ts";
export { validateFleet } from "./validate.ts";
export { fleetWarnings, isPinned } from "./warnings.ts";
