import { typeMessage, unknownKeyProblems } from "@polyarch/spec";
import type { z } from "zod";
import { formatPath, type Problem, sortProblems } from "./problems.ts";
import { type Fleet, fleetSchema } from "./schema.ts";
import { checkSemantics } from "./semantics.ts";
import { redactTokens } from "./tokens.ts";

export type ValidationResult = { ok: true; fleet: Fleet } | { ok: false; problems: Problem[] };

/**
 * Plain data in (a parsed fleet file), a typed fleet with defaults applied or every problem out.
 * Never throws for bad input; messages never repeat a token.
 */
export function validateFleet(data: unknown): ValidationResult {
  const parsed = fleetSchema.safeParse(data, { error: typeMessage });
  const problems = [
    ...(parsed.success ? [] : parsed.error.issues.flatMap(toProblems)),
    ...checkSemantics(data),
  ];
  if (problems.length === 0 && parsed.success) return { ok: true, fleet: parsed.data };
  return {
    ok: false,
    problems: sortProblems(
      problems.map((problem) => ({ ...problem, message: redactTokens(problem.message) })),
    ),
  };
}

function toProblems(issue: z.core.$ZodIssue): Problem[] {
  if (issue.code === "unrecognized_keys") return unknownKeyProblems(issue);
  if (issue.code === "invalid_key") {
    // A record's key failed its own schema; zod's summary ("Invalid key in record") names neither the
    // key nor what is valid, the key schema's own message does.
    const message = issue.issues[0]?.message ?? `${JSON.stringify(issue.input)} is not a valid key here`;
    return [{ path: formatPath(issue.path), message }];
  }
  if (issue.code === "invalid_union") {
    // Every branch failed. A branch of the input's own shape that failed on one detail says more
    // than the union's summary: `{ env: "bad name" }` is a bad variable name, not a bad reference.
    const sameShape = issue.errors.filter(
      (branch) => !branch.some((inner) => inner.code === "invalid_type" && inner.path.length === 0),
    );
    const [only] = sameShape;
    if (sameShape.length === 1 && only?.length === 1)
      return toProblems({ ...only[0]!, path: [...issue.path, ...only[0]!.path] });
  }
  return [{ path: formatPath(issue.path), message: issue.message }];
}
