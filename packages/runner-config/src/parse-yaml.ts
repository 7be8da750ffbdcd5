import { parseDocument } from "yaml";
import { redactTokens } from "./tokens.ts";
import { type ValidationResult, validateFleet } from "./validate.ts";

/**
 * A fleet file's text in, a typed fleet or every problem out. YAML syntax errors (and duplicate keys,
 * which YAML parsers otherwise resolve silently) are problems too, located by line and column.
 */
export function validateFleetYaml(text: string): ValidationResult {
  const document = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  if (document.errors.length > 0)
    return {
      ok: false,
      problems: document.errors.map((error) => {
        const position = error.linePos?.[0];
        // The first line names the error; the rest quotes the source, which could hold a secret.
        const message = redactTokens(
          error.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, ""),
        );
        return { path: position ? `line ${position.line}, column ${position.col}` : "(yaml)", message };
      }),
    };
  return validateFleet(document.toJS());
}
