import type { ImageConfig } from "@polyarch/oci";

/**
 * The parts of an image config's `config` object a job runs with
 * (https://github.com/opencontainers/image-spec/blob/main/config.md#properties). Their types were
 * checked once, when the config was parsed (oci's parseImageConfig refuses a config whose `Env`,
 * `User`, … has the wrong type, naming the field): a config that cannot be read is never run as root.
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

export function runtimeConfig(config: ImageConfig): RuntimeConfig {
  const runtime = config.config ?? {};
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
