import { ciTemplateCodes } from "./codes/ci-template.ts";
import { cliCodes } from "./codes/cli.ts";
import { commonCodes } from "./codes/common.ts";
import { elfCodes } from "./codes/elf.ts";
import { executorCodes } from "./codes/executor.ts";
import { helperImageCodes } from "./codes/helper-image.ts";
import { mergeCodes } from "./codes/merge.ts";
import { mirrorCodes } from "./codes/mirror.ts";
import { ociCodes } from "./codes/oci.ts";
import { pipelineCodes } from "./codes/pipeline.ts";
import { runnerConfigCodes } from "./codes/runner-config.ts";
import type { CodeEntries } from "./kinds.ts";

/**
 * Every code polyarch reports, once, with its kind: one typed catalogue, in which each package owns the
 * file of its own codes (`codes/<package>.ts`). One code per condition whatever the store (a missing blob
 * is `BLOB_UNKNOWN` from a registry and from a layout). Scripts match on `code` in `--json` errors;
 * packages/errors/README.md lists them.
 */
export const errorCatalogue = {
  ...commonCodes,
  ...ociCodes,
  ...elfCodes,
  ...mergeCodes,
  ...mirrorCodes,
  ...helperImageCodes,
  ...runnerConfigCodes,
  ...ciTemplateCodes,
  ...pipelineCodes,
  ...executorCodes,
  ...cliCodes,
} as const satisfies CodeEntries;

export type ErrorCode = keyof typeof errorCatalogue;
