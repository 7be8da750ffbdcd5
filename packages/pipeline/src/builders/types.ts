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
   * A directory, absent until the builder writes the image there as an OCI image layout; polyarch checks
   * it and pushes it, so every builder's image reaches the registry through one client.
   */
  layoutDir: string;
  /** Buildah's storage driver when overlay cannot be used here. */
  storageDriver?: "vfs";
}

/** A builder: how it is found, and its command lines (pure). */
export interface Builder {
  name: BuilderName;
  /** What is looked for to decide the builder is present: an absolute path or a program on PATH. */
  program: string;
  /** How to get it, for the message when no builder is found. */
  install: string;
  /** Emulated builds (binfmt/QEMU) are possible: Kaniko builds for the machine it runs on only. */
  emulates: boolean;
  commands(input: BuilderInput): Invocation[];
}
