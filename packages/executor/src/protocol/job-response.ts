import { PolyarchError } from "@polyarch/oci/errors";
import { z } from "zod";

/**
 * The parts of the job response (the API's `POST /jobs/request` answer) the executor reads; lenient:
 * everything else in it is ignored. `image.entrypoint` is only there (gitlab-org/gitlab-runner#27301).
 */
const jobResponseSchema = z.looseObject({
  image: z
    .looseObject({
      name: z.string().nullish(),
      entrypoint: z.array(z.string()).nullish(),
    })
    .nullish(),
});

/** `image:` of the job: name and entrypoint from the job response, else the name in CI_JOB_IMAGE. */
export interface JobImage {
  name: string | undefined;
  entrypoint: string[] | undefined;
}

/** Reads the job response file's text (pure); `variables` are the job's, for CI_JOB_IMAGE. */
export function jobImage(text: string | undefined, variables: Readonly<Record<string, string>>): JobImage {
  const response = parseJobResponse(text);
  return {
    name: response.image?.name || variables.CI_JOB_IMAGE || undefined,
    entrypoint: response.image?.entrypoint ?? undefined,
  };
}

function parseJobResponse(text: string | undefined): z.infer<typeof jobResponseSchema> {
  if (text === undefined) return {};
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new PolyarchError("POLYARCH_E_EXECUTOR_ENV", "JOB_RESPONSE_FILE is not valid JSON", {
      hint: "the runner writes this file; check the runner version",
    });
  }
  const parsed = jobResponseSchema.safeParse(json);
  if (!parsed.success) {
    throw new PolyarchError(
      "POLYARCH_E_EXECUTOR_ENV",
      `JOB_RESPONSE_FILE: image is not { name, entrypoint }: ${parsed.error.issues[0]?.message ?? ""}`,
      { hint: "the runner writes this file; check the runner version" },
    );
  }
  return parsed.data;
}
