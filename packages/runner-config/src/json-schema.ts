import { z } from "zod";
import { fleetSchema } from "./schema.ts";

/**
 * The fleet file's JSON Schema, generated from the validator (what a person may write, so keys with
 * defaults are optional). Published as fleet.schema.json for editors; a test keeps the file in step.
 */
export function fleetJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(fleetSchema, { io: "input", target: "draft-2020-12" }),
    title: "polyarch fleet",
  };
}

/** fleet.schema.json as written to disk: two-space indented, newline-terminated. */
export function fleetJsonSchemaText(): string {
  return `${JSON.stringify(fleetJsonSchema(), null, 2)}\n`;
}
