import { PolyarchError } from "@polyarch/errors";
import { z } from "zod";

/**
 * The parts of the job response (the API's `POST /jobs/request` answer) the executor reads; lenient:
 * everything else in it is ignored. `image.entrypoint` is only there (gitlab-org/gitlab-runner#27301).
 */
const serviceSchema = z.looseObject({
  name: z.string().min(1),
  alias: z.string().nullish(),
  entrypoint: z.array(z.string()).nullish(),
  command: z.array(z.string()).nullish(),
  variables: z
    .union([
      z.array(z.looseObject({ key: z.string(), value: z.string().nullish() })),
      z.record(z.string(), z.string()),
    ])
    .nullish(),
});

const jobResponseSchema = z.looseObject({
  image: z
    .looseObject({
      name: z.string().nullish(),
      entrypoint: z.array(z.string()).nullish(),
    })
    .nullish(),
  services: z.array(serviceSchema).nullish(),
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

/** One of the job's `services:`, as the job response (or `CI_JOB_SERVICES`) gives it. */
export interface JobService {
  name: string;
  alias: string | undefined;
  entrypoint: string[] | undefined;
  command: string[] | undefined;
  variables: Record<string, string>;
}

/**
 * The job's `services:` (pure): from the job response, else from `CI_JOB_SERVICES`, the JSON the runner
 * exports to custom executors (https://docs.gitlab.com/runner/executors/custom/#job-services).
 */
export function jobServices(
  text: string | undefined,
  variables: Readonly<Record<string, string>>,
): JobService[] {
  const fromResponse = parseJobResponse(text).services;
  const listed = fromResponse ?? servicesVariable(variables.CI_JOB_SERVICES);
  return listed.map((service) => ({
    name: service.name,
    alias: service.alias || undefined,
    entrypoint: service.entrypoint ?? undefined,
    command: service.command ?? undefined,
    variables: Array.isArray(service.variables)
      ? Object.fromEntries(service.variables.map((v) => [v.key, v.value ?? ""]))
      : { ...service.variables },
  }));
}

function servicesVariable(text: string | undefined): z.infer<typeof serviceSchema>[] {
  if (!text) return [];
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const parsed = z.array(serviceSchema).safeParse(json);
  if (!parsed.success) {
    throw new PolyarchError(
      "POLYARCH_E_EXECUTOR_ENV",
      "CI_JOB_SERVICES is not a JSON list of { name, alias, entrypoint, command }",
      { hint: "the runner sets this variable; check the runner version" },
    );
  }
  return parsed.data;
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
      `JOB_RESPONSE_FILE: ${parsed.error.issues[0]?.path.join(".") ?? ""} is not what the runner writes: ${parsed.error.issues[0]?.message ?? ""}`,
      { hint: "the runner writes this file; check the runner version" },
    );
  }
  return parsed.data;
}
