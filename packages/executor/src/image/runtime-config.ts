import type { ImageConfig } from "@polyarch/oci";
import { z } from "zod";

/**
 * The parts of an image config's `config` object a job runs with
 * (https://github.com/opencontainers/image-spec/blob/main/config.md#properties). Lenient: registries
 * serve configs with nulls and extra keys.
 */
export interface RuntimeConfig {
  env: string[];
  workingDir: string;
  user: string | undefined;
  entrypoint: string[];
  cmd: string[];
  /** TCP ports of `ExposedPorts` (`"5432/tcp"`), which a service is waited for on. */
  tcpPorts: number[];
}

const runtimeSchema = z.looseObject({
  Env: z.array(z.string()).nullish(),
  WorkingDir: z.string().nullish(),
  User: z.string().nullish(),
  Entrypoint: z.array(z.string()).nullish(),
  Cmd: z.array(z.string()).nullish(),
  ExposedPorts: z.record(z.string(), z.unknown()).nullish(),
});

export function runtimeConfig(config: ImageConfig): RuntimeConfig {
  const parsed = runtimeSchema.safeParse(config.config ?? {});
  const runtime = parsed.success ? parsed.data : {};
  return {
    env: runtime.Env ?? [],
    workingDir: runtime.WorkingDir || "/",
    user: runtime.User || undefined,
    entrypoint: runtime.Entrypoint ?? [],
    cmd: runtime.Cmd ?? [],
    tcpPorts: Object.keys(runtime.ExposedPorts ?? {})
      .flatMap((key) => {
        const match = /^(\d{1,5})(?:\/tcp)?$/.exec(key);
        const port = Number(match?.[1]);
        return match && port > 0 && port < 65536 ? [port] : [];
      })
      .sort((a, b) => a - b),
  };
}

/**
 * The entrypoint a job's stages run under, as the Docker executor decides it: the job's
 * `image: entrypoint:` replaces the image's (`[""]` or `[]` clears it), else the image's own.
 */
export function effectiveEntrypoint(image: readonly string[], job: readonly string[] | undefined): string[] {
  const chosen = job ?? image;
  return chosen.length === 1 && chosen[0] === "" ? [] : [...chosen];
}
