import { closestKey } from "@polyarch/spec";
import { z } from "zod";
import { orList } from "./or-list.ts";
import { LEGACY_REGISTRATION_TOKEN_HINT } from "./tokens.ts";

/** Keys that once carried a legacy registration token; a fleet that names one gets a pointed hint. */
const LEGACY_TOKEN_KEYS = new Set(["registration_token", "registrationToken", "runnerRegistrationToken"]);

/** One line of an unrecognized-keys message per key, in the order zod lists the keys. */
export function unknownKeyMessage(key: string, validKeys: readonly string[]): string {
  if (LEGACY_TOKEN_KEYS.has(key)) return LEGACY_REGISTRATION_TOKEN_HINT;
  const suggestion = closestKey(key, validKeys);
  return suggestion === undefined
    ? `unknown key; valid keys are ${orList(validKeys)}`
    : `unknown key; did you mean "${suggestion}"?`;
}

/**
 * An object schema that refuses unknown keys and names the closest valid key. Users write fleet files
 * by hand, and a silently ignored typo (`architecure:`) is a runner that does the wrong thing.
 */
export function strictObject<Shape extends z.ZodRawShape>(shape: Shape, description: string) {
  const validKeys = Object.keys(shape);
  return z
    .strictObject(shape, {
      error: (issue) =>
        issue.code === "unrecognized_keys"
          ? issue.keys.map((key) => unknownKeyMessage(key, validKeys)).join("\n")
          : undefined,
    })
    .describe(description);
}

/** Splits an unrecognized-keys issue made by {@link strictObject} into one message per key. */
export function splitUnknownKeys(keys: readonly string[], message: string): [string, string][] {
  const lines = message.split("\n");
  return keys.map((key, index) => [key, lines[index] ?? "unknown key"]);
}
