import {
  type BusyboxArch,
  busyboxImage,
  type Image,
  type ImageIndex,
  imageFrom,
  indexOf,
  type Platform,
  pushIndex,
  type Registry,
  syntheticImage,
} from "@polyarch/test-harness";

/** Where GitLab keeps its helper images; the test upstream uses the same repository name. */
export const REPOSITORY = "gitlab-org/gitlab-runner/gitlab-runner-helper";
const HELPER = "/usr/bin/gitlab-runner-helper";

const TAG_ARCH: Record<BusyboxArch, string> = { amd64: "x86_64", arm64: "arm64" };

/**
 * A helper-like image: one layer with the real busybox-static for `arch` at /usr/bin/gitlab-runner-helper,
 * its config labelled `labelAs` (default: the truth), and labels that make each version/flavor unique.
 */
export async function helperImage(
  arch: BusyboxArch,
  options: { labelAs?: Platform; flavor: string; version: string; revision?: string },
): Promise<Image> {
  const base = await busyboxImage({ arch, path: HELPER });
  const diffId = (JSON.parse(base.config.bytes.toString("utf8")) as { rootfs: { diff_ids: string[] } }).rootfs
    .diff_ids[0]!;
  return imageFrom({
    platform: options.labelAs ?? { os: "linux", architecture: arch },
    layers: [{ blob: base.layers[0]!, diffId }],
    labels: {
      "org.opencontainers.image.version": options.version,
      "polyarch.test.flavor": options.flavor,
      "polyarch.test.revision": options.revision ?? "1",
    },
    cmd: [HELPER],
  });
}

export interface SeededUpstream {
  /** Per-architecture one-entry indexes, by tag. */
  perArch: Map<string, ImageIndex>;
  /** Multi-arch indexes (19.2 and later), by tag. */
  multiArch: Map<string, ImageIndex>;
}

const prefix = (flavor: string) => (flavor === "alpine" ? "" : `${flavor}-`);

/** Pushes one per-architecture tag (`[flavor-]<arch>-v<version>`) as a one-entry index, as upstream does since 17.8. */
export async function pushPerArch(
  upstream: Registry,
  flavor: string,
  arch: BusyboxArch,
  version: string,
  image: Image,
): Promise<{ tag: string; index: ImageIndex }> {
  const tag = `${prefix(flavor)}${TAG_ARCH[arch]}-v${version}`;
  const index = indexOf([image]);
  await pushIndex(upstream, REPOSITORY, tag, index);
  return { tag, index };
}

/**
 * The test upstream:
 * - 18.9.0 in alpine, alpine-latest and ubuntu: x86_64 and arm64 tags, correct;
 * - 18.8.0 alpine: arm64-v18.8.0 holds arm64 binaries but is labelled linux/amd64 (the mislabel);
 * - 18.7.0 alpine: arm64-v18.7.0 holds amd64 binaries (labelled arm64): not fixable;
 * - 19.2.0 in the three flavors: multi-arch indexes; the bare v19.2.0 also holds a Windows image.
 */
export async function seedUpstream(upstream: Registry): Promise<SeededUpstream> {
  const seeded: SeededUpstream = { perArch: new Map(), multiArch: new Map() };
  const add = async (flavor: string, arch: BusyboxArch, version: string, labelAs?: Platform) => {
    const image = await helperImage(arch, { flavor, version, ...(labelAs && { labelAs }) });
    const { tag, index } = await pushPerArch(upstream, flavor, arch, version, image);
    seeded.perArch.set(tag, index);
  };
  for (const flavor of ["alpine", "alpine-latest", "ubuntu"]) {
    await add(flavor, "amd64", "18.9.0");
    await add(flavor, "arm64", "18.9.0");
  }
  await add("alpine", "amd64", "18.8.0");
  await add("alpine", "arm64", "18.8.0", { os: "linux", architecture: "amd64" });
  await add("alpine", "amd64", "18.7.0");
  const wrong = await helperImage("amd64", {
    flavor: "alpine",
    version: "18.7.0",
    labelAs: { os: "linux", architecture: "arm64" },
  });
  seeded.perArch.set(
    "arm64-v18.7.0",
    (await pushPerArch(upstream, "alpine", "arm64", "18.7.0", wrong)).index,
  );

  const windows = await syntheticImage({
    platform: { os: "windows", architecture: "amd64" },
    seed: "helper-windows",
  });
  for (const flavor of ["alpine", "alpine-latest", "ubuntu"]) {
    const linux = [
      await helperImage("amd64", { flavor, version: "19.2.0" }),
      await helperImage("arm64", { flavor, version: "19.2.0" }),
    ];
    const index = indexOf(flavor === "alpine" ? [...linux, windows] : linux);
    const tag = `${prefix(flavor)}v19.2.0`;
    await pushIndex(upstream, REPOSITORY, tag, index);
    seeded.multiArch.set(tag, index);
  }
  return seeded;
}

/** The image manifest digest a per-architecture tag's one-entry index lists. */
export function childOf(seeded: SeededUpstream, tag: string): string {
  const index = seeded.perArch.get(tag);
  if (!index) throw new Error(`the test upstream has no ${tag}`);
  return index.images[0]!.manifest.digest;
}
