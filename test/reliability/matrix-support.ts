import type { FaultKind, Registry } from "@polyarch/test-harness";

/** One column of the fault matrix: what the proxy does to the request at the cell's position. */
export interface FaultColumn {
  name: string;
  /** Which requests of a run the positions are taken from (401 goes in the middle of an upload). */
  among?: (logged: LoggedRequest) => boolean;
  fault: () => FaultKind & { times?: number };
}

export interface LoggedRequest {
  method: string;
  path: string;
}

const isUpload = (r: LoggedRequest) => /\/blobs\/uploads\//.test(r.path);

export const columns: FaultColumn[] = [
  { name: "5xx burst", fault: () => ({ type: "status", status: 503, times: 3 }) },
  { name: "429 Retry-After seconds", fault: () => ({ type: "rate-limit", retryAfter: 1 }) },
  {
    name: "429 Retry-After date",
    fault: () => ({ type: "rate-limit", retryAfter: new Date(Date.now() + 1000).toUTCString() }),
  },
  { name: "reset mid-body", fault: () => ({ type: "reset" }) },
  { name: "truncated body", fault: () => ({ type: "truncate" }) },
  { name: "wrong bytes", fault: () => ({ type: "corrupt" }) },
  {
    name: "401 mid-upload",
    among: isUpload,
    fault: () => ({
      type: "status",
      status: 401,
      headers: { "www-authenticate": 'Basic realm="polyarch-test"' },
    }),
  },
  { name: "stops answering", fault: () => ({ type: "stall" }) },
];

export const POSITIONS = ["first", "middle", "last"] as const;

/** The first, middle and last of `requests` (the last is the run's final write: its tag or receipt). */
export function positions(requests: LoggedRequest[]): Record<(typeof POSITIONS)[number], LoggedRequest> {
  const at = (i: number) => requests[Math.max(0, Math.min(requests.length - 1, i))] as LoggedRequest;
  return { first: at(0), middle: at(Math.floor(requests.length / 2)), last: at(requests.length - 1) };
}

/**
 * A pattern for "this request" in another run of the same command against repository `repository`
 * (the calibration run wrote `calibration`): upload session ids and queries vary between runs.
 */
export function requestPattern(logged: LoggedRequest, calibration: string, repository: string): RegExp {
  const pathname = (logged.path.split("?")[0] ?? "").replaceAll(calibration, repository);
  const general = pathname.replace(/(\/blobs\/uploads\/)[^/]+$/, "$1\u0000");
  const escaped = general.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace("\u0000", "[^/?]+");
  return new RegExp(`^${escaped}(\\?|$)`);
}

type Manifest = {
  mediaType?: string;
  manifests?: Array<{ digest: string }>;
  config?: { digest: string };
  layers?: Array<{ digest: string }>;
};

const accept = [
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.docker.distribution.manifest.v2+json",
].join(", ");

/**
 * Every tag of `repository` with the digest it names, read from the registry directly; a tag whose
 * manifest, children or blobs are not all there is reported as `incomplete:<digest>`.
 */
export async function repositoryState(
  registry: Registry,
  repository: string,
): Promise<Record<string, string>> {
  const list = await fetch(`${registry.url}/v2/${repository}/tags/list`);
  if (list.status === 404) {
    await list.body?.cancel();
    return {};
  }
  const tags = ((await list.json()) as { tags?: string[] | null }).tags ?? [];
  const state: Record<string, string> = {};
  for (const tag of tags.sort()) {
    const response = await fetch(`${registry.url}/v2/${repository}/manifests/${tag}`, {
      headers: { accept },
    });
    const digest = String(response.headers.get("docker-content-digest"));
    const body = (await response.json()) as Manifest;
    state[tag] = (await complete(registry, repository, body)) ? digest : `incomplete:${digest}`;
  }
  return state;
}

async function complete(registry: Registry, repository: string, manifest: Manifest): Promise<boolean> {
  for (const child of manifest.manifests ?? []) {
    const response = await fetch(`${registry.url}/v2/${repository}/manifests/${child.digest}`, {
      headers: { accept },
    });
    if (response.status !== 200) {
      await response.body?.cancel();
      return false;
    }
    if (!(await complete(registry, repository, (await response.json()) as Manifest))) return false;
  }
  for (const blob of [...(manifest.config ? [manifest.config] : []), ...(manifest.layers ?? [])]) {
    const response = await fetch(`${registry.url}/v2/${repository}/blobs/${blob.digest}`, { method: "HEAD" });
    if (response.status !== 200) return false;
  }
  return true;
}

/** How one cell ended. */
export type CellOutcome =
  /**
   * The fault hit and the command still produced the right result: retried, restarted, or a body
   * fault on a response without a body to spoil (a HEAD, a 201).
   */
  | "success after retry"
  /** The position's request did not occur in this run. */
  | "success, fault not reached"
  /** Exit 1 (or 3: some items), one clear line, every tag absent or already right. */
  | "clean failure"
  /** A tag pointing at something wrong or incomplete, an unclear message, or a re-run that did not finish. */
  | "partial";
