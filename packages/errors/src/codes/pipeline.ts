import type { CodeEntries } from "../kinds.ts";

/** @polyarch/pipeline: the per-architecture build and merge --from-env. */
export const pipelineCodes = {
  POLYARCH_E_NO_BUILDER: {
    kind: "input",
    summary: "no Kaniko, Buildah or BuildKit here, or not the one --builder names",
  },
  POLYARCH_E_NO_DOCKERFILE: { kind: "input", summary: "the Dockerfile to build does not exist" },
  POLYARCH_E_BAD_BUILD_ARG: { kind: "input", summary: "a --build-arg or --label is not KEY=VALUE" },
  POLYARCH_E_NO_ENV_SOURCES: {
    kind: "input",
    summary: "merge --from-env found no POLYARCH_IMAGE_<ARCH> variable",
  },
  POLYARCH_E_BAD_ENV_SOURCE: {
    kind: "input",
    summary: "a POLYARCH_IMAGE_<ARCH> is not an architecture's image by digest",
  },
  POLYARCH_E_PLATFORM_NOT_BUILT: {
    kind: "input",
    summary: "--platforms asks for a platform no build job passed",
  },
  POLYARCH_E_MISROUTED: {
    kind: "operation",
    summary: "the job runs on a machine of another architecture than it asked for",
  },
  POLYARCH_E_NO_EMULATOR: {
    kind: "operation",
    summary: "an emulated build's binfmt (QEMU) handler is not registered",
  },
  POLYARCH_E_BUILDER_FAILED: { kind: "operation", summary: "the image builder failed" },
  POLYARCH_E_BUILDER_OUTPUT: {
    kind: "operation",
    summary: "the builder reported no usable digest, or left no image (or several) in its layout",
  },
  POLYARCH_E_BUILT_PLATFORM: {
    kind: "operation",
    summary: "the built image's config says another platform than built for",
  },
} as const satisfies CodeEntries;
