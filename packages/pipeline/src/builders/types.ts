export type BuilderName = "kaniko" | "buildah" | "buildkit";

/** One process to start: the program, its argv and what it adds to the environment. */
export interface Invocation {
  /** For messages: `buildah bud`, `buildah push`, `kaniko executor`. */
  name: string;
  program: string;
  args: string[];
  env: Record<string, string>;
}

/** Everything a builder's command line is made from (plain data, paths already chosen). */
export interface BuilderInput {
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
  /** A private directory holding `config.json` (mode 0600) with the registries' credentials. */
  authDir: string;
  /**
   * Where the image goes: the builder pushes it to `destination` itself and writes what it pushed to
   * `digestFile` (its digest file, BuildKit's metadata file); or it writes the image as an OCI image
   * layout into `dir` (absent until then), which polyarch checks and pushes.
   */
  output: { kind: "push"; digestFile: string } | { kind: "layout"; dir: string };
  /** Buildah's storage driver when overlay cannot be used here. */
  storageDriver?: "vfs";
  /**
   * A registry repository (`registry/repository`, this platform's own) the builder reads cached layers
   * from and writes new ones to, so an unchanged step is not run again in a fresh job.
   */
  cacheRepository?: string;
}

/** A builder: how it is found, its command lines (pure), and how it reports the digest it pushed. */
export interface Builder {
  name: BuilderName;
  /** What is looked for to decide the builder is present: an absolute path or a program on PATH. */
  program: string;
  /** How to get it, for the message when no builder is found. */
  install: string;
  /** Emulated builds (binfmt/QEMU) are possible: Kaniko builds for the machine it runs on only. */
  emulates: boolean;
  commands(input: BuilderInput): Invocation[];
  /** The digest in its `push` output file's text; throws when the file does not hold one. */
  readDigest(text: string): string;
}
