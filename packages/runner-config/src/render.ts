import { renderSecretExample } from "./render-secret.ts";
import { renderConfigToml } from "./render-toml.ts";
import { renderValuesYaml } from "./render-values.ts";
import type { Fleet } from "./schema.ts";
import { fleetWarnings } from "./warnings.ts";

export type RenderedFileName = "config.toml" | "values.yaml" | "secret.example.yaml";

export interface RenderedFile {
  name: RenderedFileName;
  content: string;
}

export interface RenderedFleet {
  /** In a fixed order: config.toml, then values.yaml and secret.example.yaml where the fleet needs them. */
  files: RenderedFile[];
  warnings: string[];
}

/** Every file a fleet renders to, as strings; pure and deterministic (same fleet, same bytes). */
export function renderFleet(fleet: Fleet): RenderedFleet {
  const files: RenderedFile[] = [{ name: "config.toml", content: renderConfigToml(fleet) }];
  const values = renderValuesYaml(fleet);
  if (values !== undefined) files.push({ name: "values.yaml", content: values });
  const secret = renderSecretExample(fleet);
  if (secret !== undefined) files.push({ name: "secret.example.yaml", content: secret });
  return { files, warnings: fleetWarnings(fleet) };
}
