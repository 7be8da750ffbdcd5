import type { Redactor } from "@polyarch/errors";
import { PolyarchError } from "@polyarch/errors";
import { looseObject, nullish, problemsOf, string } from "../core/shape.ts";
import { helperServerUrl } from "./host.ts";
import type { Credential, CredentialIO } from "./types.ts";

/**
 * What `docker-credential-<name> get` prints on success.
 * https://github.com/docker/docker-credential-helpers/blob/master/credentials/credentials.go
 */
interface HelperResponse {
  ServerURL?: string | null;
  Username?: string | null;
  Secret: string;
}
const helperResponseShape = looseObject({
  ServerURL: nullish(string),
  Username: nullish(string),
  Secret: string,
});

/** How a helper says it has nothing for this server; Docker matches the same text. */
const NOT_FOUND = /credentials not found in native keychain/i;

/** Helper names become part of a program name looked up on PATH: no path separators. */
const HELPER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Docker's marker for "the Secret is an identity (refresh) token, not a password". */
const TOKEN_USERNAME = "<token>";

export interface HelperContext {
  io: Pick<CredentialIO, "env" | "runHelper">;
  /** Where the helper is configured, e.g. `/home/me/.docker/config.json (credsStore)`, for messages. */
  configuredIn: string;
  /** Scrubs known secrets from whatever of the helper's output an error message quotes. */
  redactor?: Redactor | undefined;
}

/**
 * Asks `docker-credential-<helper>` for the credentials of `host` (already normalized). `undefined` when
 * the helper has none; a `POLYARCH_E_CREDENTIAL_HELPER` error naming the helper when it fails.
 */
export async function credentialFromHelper(
  helper: string,
  host: string,
  context: HelperContext,
): Promise<Credential | undefined> {
  if (!HELPER_NAME.test(helper)) {
    throw new PolyarchError(
      "POLYARCH_E_CREDENTIAL_CONFIG",
      `${context.configuredIn} names credential helper ${JSON.stringify(helper)}, which is not a helper name`,
      {
        hint: "a helper is named by the suffix of its program, e.g. ecr-login for docker-credential-ecr-login",
      },
    );
  }
  const program = `docker-credential-${helper}`;
  const failure = (problem: string, hint: string, cause?: unknown) =>
    new PolyarchError("POLYARCH_E_CREDENTIAL_HELPER", `${program} (${context.configuredIn}) ${problem}`, {
      hint,
      cause,
    });

  let output: Awaited<ReturnType<CredentialIO["runHelper"]>>;
  try {
    output = await context.io.runHelper(program, ["get"], helperServerUrl(host), context.io.env);
  } catch (error: unknown) {
    if (isErrorWithCode(error, "ENOENT")) {
      throw failure(
        "is not installed or not on PATH",
        `install ${program}, or remove it from ${context.configuredIn}`,
        error,
      );
    }
    const reason = error instanceof Error ? error.message : String(error);
    throw failure(
      `could not be run for ${host}: ${scrub(reason, context.redactor)}`,
      `check that \`echo ${helperServerUrl(host)} | ${program} get\` works`,
      error,
    );
  }

  if (output.exitCode !== 0) {
    if (NOT_FOUND.test(output.stdout) || NOT_FOUND.test(output.stderr)) return undefined;
    const detail = scrub(output.stderr.trim() || output.stdout.trim(), context.redactor);
    throw failure(
      `failed for ${host} with exit code ${output.exitCode}${detail ? `: ${detail}` : ""}`,
      `check that \`echo ${helperServerUrl(host)} | ${program} get\` works (are you logged in?)`,
    );
  }

  let response: HelperResponse;
  try {
    const parsed: unknown = JSON.parse(output.stdout);
    if (problemsOf(helperResponseShape, parsed).length > 0) throw new Error("not a helper response");
    response = parsed as HelperResponse;
  } catch {
    // Not quoted: output that failed to parse may still hold the secret.
    throw failure(
      `printed something other than {"ServerURL", "Username", "Secret"} JSON for ${host}`,
      `check that \`echo ${helperServerUrl(host)} | ${program} get\` prints JSON`,
    );
  }
  if (response.Secret === "") return undefined;
  if (response.Username === TOKEN_USERNAME) return { kind: "identity-token", token: response.Secret };
  return { kind: "basic", username: response.Username ?? "", password: response.Secret };
}

/** The first line of a helper's complaint, short, with known secrets masked; never a credential JSON. */
function scrub(text: string, redactor: Redactor | undefined): string {
  const firstLine = text.split("\n", 1)[0]!.trim();
  if (/"Secret"/i.test(firstLine)) return "";
  const short = firstLine.length > 200 ? `${firstLine.slice(0, 200)}…` : firstLine;
  return redactor ? redactor.redact(short) : short;
}

function isErrorWithCode(error: unknown, code: string): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === code;
}
