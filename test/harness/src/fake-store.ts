import type { ImageStore } from "@polyarch/oci";

/**
 * An ImageStore for unit tests: every member the test does not give throws "unexpected call", so a
 * test states exactly which store operations the code under test may use.
 */
export function fakeStore(name: string, members: Partial<ImageStore> = {}): ImageStore {
  const unexpected = (member: string) => async () => {
    throw new Error(`unexpected call: ${name}.${member}`);
  };
  return {
    name,
    headManifest: unexpected("headManifest"),
    getManifest: unexpected("getManifest"),
    putManifest: unexpected("putManifest"),
    hasBlob: unexpected("hasBlob"),
    openBlob: unexpected("openBlob"),
    putBlob: unexpected("putBlob"),
    listTags: unexpected("listTags"),
    ...members,
  };
}
