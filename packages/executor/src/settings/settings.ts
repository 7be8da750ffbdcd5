import { join } from "node:path";
import { parseReference } from "@polyarch/oci/reference";
import { parseSpecText, type SpecProblem, strictObject } from "@polyarch/spec";
import { z } from "zod";
import type { JobLimits } from "../host/cgroup.ts";
import type { Network } from "../sandbox/argv.ts";

/**
 * The executor's one settings file (YAML, strict: an unknown key is an error naming the closest valid
 * key). `polyarch render` writes its path into the `[runners.custom]` args as `--settings <path>`;
 * without it the executor reads `/etc/polyarch/executor.yaml`, or takes every default when that is absent.
 */
export interface ExecutorSettings {
  /** Where layers, image roots and job directories live; must be on one filesystem. */
  stateDir: string;
  /** The image of a job that names none. */
  defaultImage: string;
  /** The multi-arch gitlab-runner-helper image whose `gitlab-runner` and `git` are put on PATH. */
  helperImage: string | undefined;
  /**
   * `host`: the job shares the host's network; `none`: loopback only; `isolated`: a network namespace
   * per job, with its services, connected outwards by pasta (else slirp4netns). Not set: `isolated` where the host can
   * (host/network-support.ts), else `host` with a warning.
   */
  network: Network | undefined;
  /** With `isolated`: host loopback TCP ports a job reaches on its own loopback (pasta `-T`; refused with slirp4netns). */
  isolatedHostPorts: number[];
  /** Run an image of another architecture through a registered binfmt handler (QEMU). */
  emulation: boolean;
  /** `overlay` (user-namespace overlayfs), `copy` (a copy of the image's tree per job), `auto`. */
  root: "auto" | "overlay" | "copy";
  /** Unpacked layers and image roots beyond this many bytes are evicted, least recently used first. */
  cacheMaxBytes: number;
  /** Registries images may come from (`host[:port]`); empty allows every registry. */
  allowedRegistries: string[];
  /** Seconds between SIGTERM to a cancelled job's processes and SIGKILL. */
  stopGraceSeconds: number;
  /** Seconds prepare waits for a service's exposed ports to accept connections. */
  servicesTimeoutSeconds: number;
  /** `cpu` (CPUs) and `memory` (bytes) per job, through a delegated cgroup v2 (host/cgroup.ts). */
  limits: JobLimits;
}

/** The settings as one job uses them: its network decided (stages/prepare.ts, host/network-support.ts). */
export type JobSettings = ExecutorSettings & { network: Network };

/** Who reads the settings: where the state dir defaults to depends on it. */
export interface SettingsReader {
  uid: number;
  env: Readonly<Record<string, string | undefined>>;
  /** The user's home directory, for `~/.local/state` when XDG_STATE_HOME is not set. */
  home: string;
}

/**
 * The state dir when the settings name none (pure). Root keeps the system's `/var/lib/polyarch-executor`;
 * an ordinary user, who cannot create that, gets a directory of their own as rootless tools do (podman's
 * `~/.local/share/containers`): `$XDG_STATE_HOME/polyarch-executor`, else `~/.local/state/polyarch-executor`
 * (the XDG base directory spec; a relative XDG_STATE_HOME is invalid there and ignored).
 */
export function defaultStateDir(reader: SettingsReader): string {
  if (reader.uid === 0) return "/var/lib/polyarch-executor";
  const xdg = reader.env.XDG_STATE_HOME;
  return join(xdg?.startsWith("/") ? xdg : join(reader.home, ".local", "state"), "polyarch-executor");
}

const SIZE = /^(\d+(?:\.\d+)?)\s*(B|KiB|MiB|GiB|TiB|Ki|Mi|Gi|Ti|KB|MB|GB|TB)?$/;
const UNITS: Record<string, number> = {
  B: 1,
  KB: 1e3,
  MB: 1e6,
  GB: 1e9,
  TB: 1e12,
  KiB: 1024,
  MiB: 1024 ** 2,
  GiB: 1024 ** 3,
  TiB: 1024 ** 4,
  // Kubernetes' spelling of the same (`memory: 512Mi`).
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
  Ti: 1024 ** 4,
};

/** `512MiB`, `512Mi`, `10 GB`, `1048576` → bytes. */
export function parseSize(text: string | number): number | undefined {
  if (typeof text === "number") return Number.isInteger(text) && text >= 0 ? text : undefined;
  const match = SIZE.exec(text.trim());
  if (!match) return undefined;
  return Math.floor(Number(match[1]) * (UNITS[match[2] ?? "B"] ?? 1));
}

const absolutePath = z.string().refine((path) => path.startsWith("/") && !path.includes("\0"), {
  error: (issue) => `${JSON.stringify(issue.input)} is not an absolute path`,
});

const imageReference = z.string().refine(
  (text) => {
    try {
      return parseReference(text).kind === "registry";
    } catch {
      return false;
    }
  },
  {
    error: (issue) =>
      `${JSON.stringify(issue.input)} is not an image reference ([registry/]repo[:tag][@digest])`,
  },
);

const size = z.union([z.string(), z.number()]).refine((value) => parseSize(value) !== undefined, {
  error: (issue) => `${JSON.stringify(issue.input)} is not a size; write bytes or e.g. 20GiB, 500MB`,
});

// Docker reads `--memory 0` as no limit; as memory.max, 0 would have the OOM killer end every job at once.
const memorySize = size.refine((value) => (parseSize(value) ?? 1) > 0, {
  error: (issue) =>
    `${JSON.stringify(issue.input)} would leave a job no memory at all; leave memory out for no limit`,
});

const CPUS = /^\d+(\.\d+)?$/;
const cpus = z
  .union([z.string(), z.number()])
  .refine((value) => CPUS.test(String(value).trim()) && Number(value) >= 0.01 && Number(value) <= 4096, {
    error: (issue) =>
      `${JSON.stringify(issue.input)} is not a number of CPUs; write e.g. 1.5 or 2 (0.01 to 4096)`,
  });

const choice = <const Values extends readonly [string, ...string[]]>(values: Values) =>
  z.enum(values, {
    error: (issue) => `${JSON.stringify(issue.input)} is not valid; use ${values.join(" or ")}`,
  });

export const settingsSchema = strictObject({
  state_dir: absolutePath.optional(),
  default_image: imageReference.optional(),
  helper_image: imageReference.optional(),
  network: choice(["host", "none", "isolated"]).optional(),
  isolated_host_ports: z.array(z.int().min(1).max(65535)).optional(),
  emulation: z.boolean().optional(),
  root: choice(["auto", "overlay", "copy"]).optional(),
  cache: strictObject({ max_size: size.optional() }).optional(),
  allowed_registries: z.array(z.string().min(1)).optional(),
  stop_grace_seconds: z.int().min(0).max(3600).optional(),
  services_timeout: z.int().min(0).max(3600).optional(),
  cpu: cpus.optional(),
  memory: memorySize.optional(),
});

/** Reads the settings file's text; every problem at once (POLYARCH_E_BAD_SPEC). */
export function parseSettings(text: string, file: string, reader: SettingsReader): ExecutorSettings {
  const fallbackStateDir = defaultStateDir(reader);
  const raw = parseSpecText(text, file, settingsSchema, {
    hint: `fix ${file}; packages/executor/README.md lists every key`,
    check: (parsed) => checkSettings(parsed, fallbackStateDir),
  });
  return {
    stateDir: raw.state_dir ?? fallbackStateDir,
    defaultImage: raw.default_image ?? "busybox:latest",
    helperImage: raw.helper_image,
    network: raw.network,
    isolatedHostPorts: raw.isolated_host_ports ?? [],
    emulation: raw.emulation ?? false,
    root: raw.root ?? "auto",
    cacheMaxBytes: parseSize(raw.cache?.max_size ?? "20GiB") ?? 0,
    allowedRegistries: raw.allowed_registries ?? [],
    stopGraceSeconds: raw.stop_grace_seconds ?? 10,
    servicesTimeoutSeconds: raw.services_timeout ?? 30,
    limits: {
      ...(raw.cpu !== undefined && { cpu: Number(raw.cpu) }),
      ...(raw.memory !== undefined && { memoryBytes: parseSize(raw.memory) ?? 0 }),
    },
  };
}

function checkSettings(raw: z.infer<typeof settingsSchema>, fallbackStateDir: string): SpecProblem[] {
  // Overlay options separate directories with ',' and ':'; a state dir holding them cannot be mounted.
  const stateDir = raw.state_dir ?? fallbackStateDir;
  if (!stateDir.startsWith("/")) {
    return [
      {
        path: "state_dir",
        message: `the default (${JSON.stringify(stateDir)}) is not an absolute path: neither HOME nor XDG_STATE_HOME is one; set state_dir`,
      },
    ];
  }
  if (/[,:\\\s]/.test(stateDir)) {
    const what = raw.state_dir === undefined ? " (the default; set state_dir to another directory)" : "";
    return [
      { path: "state_dir", message: `${JSON.stringify(stateDir)}${what} must not contain , : \\ or spaces` },
    ];
  }
  return [];
}
