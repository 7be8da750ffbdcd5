export type BuilderName = "kaniko" | "buildah" | "buildkit";

/** One process to start: the program, its argv and what it adds to the environment. */
export interface Invocation {
  /** For messages: `buildah bud`, `buildah push`, `kaniko executor`. */
  name: string;
  program: string;
  args: string[];
  env: Record<string, string>;
}

/**
 * What a builder's command line is made from that is known when the build is planned (plain data, paths
 * already chosen).
 */
export interface BuildSettings {
  context: string;
  dockerfile: string;
  /** `registry/repository:tag`. */
  destination: string;
  /** `os/arch[/variant]` built for. */
  platform: string;
  buildArgs: Array<[string, string]>;
  labels: Array<[string, string]>;
  target?: string;
  /** Seconds since 1970 every timestamp in the image is pinned to (a reproducible build). */
  sourceDateEpoch?: number;
  /** Registries reached over plain HTTP (loopback, `--insecure-registry`). */
  plainHttp: string[];
  /** Extra arguments given after `--`, appended to the build command. */
  passThrough: string[];
  /**
   * Overlay storage works on this machine (the kernel's with CAP_SYS_ADMIN, or fuse-overlayfs), or the
   * job chose a storage driver itself (`STORAGE_DRIVER`).
   */
  overlayUsable: boolean;
  /**
   * A registry repository (`registry/repository`, this platform's own) the builder reads cached layers
   * from and writes new ones to, so an unchanged step is not run again in a fresh job.
   */
  cacheRepository?: string;
}

/** The settings, with what only the run knows: the private directory and where the image goes. */
export interface BuilderInput extends BuildSettings {
  /** A private directory holding `config.json` (mode 0600) with the registries' credentials. */
  authDir: string;
  /**
   * Where the image goes: the builder pushes it to `destination` itself and writes what it pushed to
   * `digestFile` (in the private directory, named `digestFileName`); or it writes the image as an OCI
   * image layout into `dir` (absent until then), which polyarch checks and pushes.
   */
  output: { kind: "push"; digestFile: string } | { kind: "layout"; dir: string };
}

/**
 * A builder: how it is found, its command lines (pure), how it reports the digest it pushed, and its
 * quirks. Everything that differs between builders is here, so a new builder is one file.
 */
export interface Builder {
  name: BuilderName;
  /** As people write it, for messages: `Kaniko`, `Buildah`, `BuildKit`. */
  title: string;
  /** What is looked for to decide the builder is present: an absolute path or a program on PATH. */
  program: string;
  /** How to get it, for the message when no builder is found. */
  install: string;
  /** Emulated builds (binfmt/QEMU) are possible: Kaniko builds for the machine it runs on only. */
  emulates: boolean;
  /** The name of the file its push writes what it pushed to (`output.digestFile`), in the private directory. */
  digestFileName: string;
  /** Where the private directory goes when the job sets no `TMPDIR`; absent: the OS temp dir. */
  privateDirParent?: string;
  /** What the user should know before a build with these settings runs (pure). */
  warnings(settings: BuildSettings): string[];
  commands(input: BuilderInput): Invocation[];
  /** The digest in its `push` output file's text; throws when the file does not hold one. */
  readDigest(text: string): string;
}
