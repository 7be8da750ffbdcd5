import type { MergeReport } from "./execute.ts";

/**
 * `repository@digest` of every image the index lists (not its attestations): what a signing step hands to
 * `cosign sign`, since admission policies (Kyverno, Harbor) check the child a node pulls, not the index.
 */
export function imageReferences(report: Pick<MergeReport, "repository" | "manifests">): string[] {
  return report.manifests.filter((m) => !m.attestation).map((m) => `${report.repository}@${m.digest}`);
}
