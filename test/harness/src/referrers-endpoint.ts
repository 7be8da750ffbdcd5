import { createHash } from "node:crypto";

/**
 * The referrers API (distribution-spec 1.1, "Listing Referrers") for a registry that lacks it: CNCF
 * distribution 2.8, this machine's registry, answers `GET /v2/<name>/referrers/<digest>` with 404. The
 * fault proxy, given `referrersApi: true`, remembers every manifest with a `subject` that it saw pushed
 * successfully, answers the push with `OCI-Subject` as the spec asks, and answers the referrers API from
 * what it remembers: an image index of descriptors (artifactType, annotations), filtered by
 * `?artifactType=` with `OCI-Filters-Applied`. Deletes are not followed (no test deletes a referrer).
 * https://github.com/opencontainers/distribution-spec/blob/main/spec.md#listing-referrers
 */
export class ReferrersEndpoint {
  readonly #bySubject = new Map<string, Map<string, Record<string, unknown>>>();

  /** Records a pushed manifest (the request body of a successful PUT); returns its subject's digest, if any. */
  recordPush(path: string, body: Buffer): string | undefined {
    const repository = /^\/v2\/(.+)\/manifests\/[^/]+$/.exec(path.split("?")[0] ?? "")?.[1];
    if (repository === undefined) return undefined;
    let manifest: {
      mediaType?: string;
      artifactType?: string;
      config?: { mediaType?: string };
      subject?: { digest?: string };
      annotations?: Record<string, string>;
    };
    try {
      manifest = JSON.parse(body.toString("utf8"));
    } catch {
      return undefined;
    }
    const subject = manifest.subject?.digest;
    if (typeof subject !== "string") return undefined;
    const digest = `sha256:${createHash("sha256").update(body).digest("hex")}`;
    const key = `${repository}\0${subject}`;
    const referrers = this.#bySubject.get(key) ?? new Map();
    referrers.set(digest, {
      mediaType: manifest.mediaType,
      digest,
      size: body.length,
      artifactType: manifest.artifactType ?? manifest.config?.mediaType,
      ...(manifest.annotations && { annotations: manifest.annotations }),
    });
    this.#bySubject.set(key, referrers);
    return subject;
  }

  /** The answer to `GET /v2/<name>/referrers/<digest>[?artifactType=…]`. */
  answer(path: string): { headers: Record<string, string>; body: string } {
    const url = new URL(path, "http://registry");
    const match = /^\/v2\/(.+)\/referrers\/([^/]+)$/.exec(url.pathname);
    const key = `${match?.[1]}\0${match?.[2]}`;
    const wanted = url.searchParams.get("artifactType");
    const all = [...(this.#bySubject.get(key)?.values() ?? [])];
    const manifests = wanted === null ? all : all.filter((d) => d.artifactType === wanted);
    return {
      headers: {
        "content-type": "application/vnd.oci.image.index.v1+json",
        ...(wanted !== null && { "oci-filters-applied": "artifactType" }),
      },
      body: JSON.stringify({
        schemaVersion: 2,
        mediaType: "application/vnd.oci.image.index.v1+json",
        manifests,
      }),
    };
  }
}
