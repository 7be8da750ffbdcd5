// Regenerates ../fleet.schema.json from the validator: `pnpm --filter @polyarch/runner-config schema`.
import { writeFileSync } from "node:fs";
import { fleetJsonSchemaText } from "./json-schema.ts";

writeFileSync(new URL("../fleet.schema.json", import.meta.url), fleetJsonSchemaText());
