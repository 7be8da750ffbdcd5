import { execa } from "execa";
import type { Credentials } from "./registry-http.ts";

export interface SkopeoOptions {
  /** `--creds` for inspect, list-tags, delete. */
  creds?: Credentials;
  /** `--src-creds` for copy and sync. */
  srcCreds?: Credentials;
  /** `--dest-creds` for copy and sync. */
  destCreds?: Credentials;
}

const twoSided = new Set(["copy", "sync"]);

/**
 * Runs skopeo against the plain-HTTP loopback registries: adds the TLS flags the subcommand takes and
 * `--insecure-policy`, passes credentials, and keeps passwords out of error messages. Returns stdout as
 * raw bytes (no newline stripped), so `skopeo inspect --raw` output can be compared byte for byte.
 */
export async function skopeoBytes(args: string[], options: SkopeoOptions = {}): Promise<Buffer> {
  const [command, ...rest] = args;
  if (command === undefined) throw new Error("skopeo: no subcommand given");
  const flags = twoSided.has(command)
    ? [
        "--src-tls-verify=false",
        "--dest-tls-verify=false",
        ...credsFlag("--src-creds", options.srcCreds),
        ...credsFlag("--dest-creds", options.destCreds),
      ]
    : ["--tls-verify=false", ...credsFlag("--creds", options.creds)];
  const secrets = [options.creds, options.srcCreds, options.destCreds].flatMap((c) =>
    c ? [c.password] : [],
  );
  try {
    const result = await execa("skopeo", ["--insecure-policy", command, ...flags, ...rest], {
      encoding: "buffer",
      stripFinalNewline: false,
      // A missing auth file reads as empty: no stray credentials from the user's own auth.json get sent.
      env: { REGISTRY_AUTH_FILE: "/nonexistent/polyarch-test-auth.json" },
    });
    return Buffer.from(result.stdout);
  } catch (error: unknown) {
    const stderr = (error as { stderr?: Uint8Array }).stderr;
    const detail = stderr ? Buffer.from(stderr).toString("utf8").trim() : String(error);
    throw new Error(redact(`skopeo ${command} failed: ${detail}`, secrets));
  }
}

/** `skopeoBytes` decoded as UTF-8. */
export async function skopeo(args: string[], options: SkopeoOptions = {}): Promise<string> {
  return (await skopeoBytes(args, options)).toString("utf8");
}

/** The exact manifest bytes `skopeo inspect --raw` reads for `ref` (`host/repo:tag` or `docker://…`). */
export async function skopeoInspectRaw(ref: string, options: SkopeoOptions = {}): Promise<Buffer> {
  return await skopeoBytes(["inspect", "--raw", withTransport(ref)], options);
}

/** Adds `docker://` to a reference that names no transport. */
export function withTransport(ref: string): string {
  return /^(docker|oci|oci-archive|dir|docker-archive|docker-daemon|containers-storage):/.test(ref)
    ? ref
    : `docker://${ref}`;
}

function credsFlag(flag: string, creds: Credentials | undefined): string[] {
  return creds ? [`${flag}=${creds.username}:${creds.password}`] : [];
}

function redact(text: string, secrets: string[]): string {
  return secrets.reduce((out, secret) => out.split(secret).join("***"), text);
}
