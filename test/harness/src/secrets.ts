import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";

/**
 * The run-wide secret check. The harness registers every password and token it hands out; test
 * support code hands in everything it captured from polyarch (stdout, stderr, files it wrote). Each
 * capture is scanned at once, so a leak is pinned to the test that caused it; `takeSecretLeaks()` is
 * read by the vitest setup file (test/setup/secrets.ts) after every test, which fails that test.
 *
 * The ledger lives on globalThis under a registered symbol: vitest may load this module more than once
 * in one worker (the harness is inlined per test file), and every copy must feed one ledger.
 */
interface Ledger {
  secrets: Set<string>;
  leaks: SecretLeak[];
  /** Outputs scanned so far: one per captured stream or file. */
  scanned: number;
  /** Files already scanned, by path and version, so a re-scan of an unchanged file is not counted. */
  seenFiles: Set<string>;
}

export interface SecretLeak {
  /** Where the secret was found, e.g. "stderr of polyarch merge" or a file path. */
  where: string;
  /** The secret, masked: its first two characters and its length. */
  secret: string;
}

const KEY = Symbol.for("polyarch.test.secret-ledger");
// Shorter values (e.g. "pw") would match by chance in ordinary text; every secret the harness makes
// itself is far longer, and a test's own short password is not the harness's to police.
const MIN_LENGTH = 8;
// Blob stores hold image bytes, not anything polyarch printed; files past this size are images too.
const SKIPPED_DIRS = new Set(["blobs"]);
const MAX_FILE_BYTES = 1 << 20;

function ledger(): Ledger {
  const holder = globalThis as { [KEY]?: Ledger };
  holder[KEY] ??= { secrets: new Set(), leaks: [], scanned: 0, seenFiles: new Set() };
  return holder[KEY];
}

/** Registers a password or token the harness handed out, with the forms it travels in (Basic, JWT signature). */
export function registerSecret(value: string | undefined, user?: string): void {
  if (value === undefined || value.length < MIN_LENGTH) return;
  const { secrets } = ledger();
  secrets.add(value);
  if (user !== undefined) secrets.add(Buffer.from(`${user}:${value}`).toString("base64"));
  const parts = value.split(".");
  // A JWT's header and claims are shared or public; its signature is what makes it a credential.
  if (parts.length === 3 && (parts[2]?.length ?? 0) >= MIN_LENGTH) secrets.add(parts[2] as string);
}

/** Scans one thing polyarch produced (a stream's text, a report) for registered secrets. */
export function captureOutput(where: string, content: string | Uint8Array): void {
  const state = ledger();
  state.scanned++;
  const text = typeof content === "string" ? content : Buffer.from(content).toString("latin1");
  for (const secret of state.secrets) {
    if (text.includes(secret)) state.leaks.push({ where, secret: mask(secret) });
  }
}

/** Scans the files polyarch wrote (digest files, rendered files, layouts' index.json): files or whole directories. */
export async function captureFiles(paths: string[]): Promise<void> {
  const state = ledger();
  for (const path of paths) {
    const info = await stat(path).catch(() => undefined);
    if (info?.isDirectory()) await scanDir(state, path);
    else if (info?.isFile()) await scanFile(state, path);
  }
}

async function scanDir(state: Ledger, dir: string): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRS.has(entry.name)) await scanDir(state, path);
      continue;
    }
    if (entry.isFile()) await scanFile(state, path);
  }
}

async function scanFile(state: Ledger, path: string): Promise<void> {
  const info = await stat(path).catch(() => undefined);
  if (info === undefined || info.size > MAX_FILE_BYTES) return;
  const version = `${path}@${info.mtimeMs}:${info.size}`;
  if (state.seenFiles.has(version)) return;
  state.seenFiles.add(version);
  const bytes = await readFile(path).catch(() => undefined);
  if (bytes !== undefined) captureOutput(path, bytes);
}

/** Leaks found since the last call, and the running totals. */
export function takeSecretLeaks(): { leaks: SecretLeak[]; scanned: number; secrets: number } {
  const state = ledger();
  const leaks = state.leaks.splice(0);
  return { leaks, scanned: state.scanned, secrets: state.secrets.size };
}

function mask(secret: string): string {
  return `${secret.slice(0, 2)}… (${secret.length} characters)`;
}
