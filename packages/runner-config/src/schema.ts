import { parseRegistryReference } from "@polyarch/oci";
import { strictObject } from "@polyarch/spec";
import { z } from "zod";
import { orList } from "./or-list.ts";
import {
  envReferenceName,
  findTokenKind,
  LEGACY_REGISTRATION_TOKEN_HINT,
  literalTokenMessage,
} from "./tokens.ts";

/** Keys that once carried a legacy registration token; a fleet that names one gets a pointed hint. */
const LEGACY_TOKEN_KEYS = new Set(["registration_token", "registrationToken", "runnerRegistrationToken"]);

/** Every object of a fleet file: strict, described for the JSON Schema, and pointed about legacy tokens. */
function fleetObject<Shape extends z.ZodRawShape>(shape: Shape, description: string) {
  return strictObject(shape, {
    description,
    knownMistake: (key) => (LEGACY_TOKEN_KEYS.has(key) ? LEGACY_REGISTRATION_TOKEN_HINT : undefined),
  });
}

/**
 * The fleet file: one declarative description of a GitLab Runner fleet, rendered into `config.toml`
 * (https://docs.gitlab.com/runner/configuration/advanced-configuration/) and values for the
 * `gitlab/gitlab-runner` Helm chart. Keys are snake_case like config.toml's; every object is strict.
 */

/** Architectures as Kubernetes labels them (`kubernetes.io/arch`) and Go names them. */
export const ARCHITECTURES = ["amd64", "arm64", "arm", "s390x", "ppc64le", "riscv64"] as const;
export type Architecture = (typeof ARCHITECTURES)[number];

function choice<const Values extends readonly [string, ...string[]]>(values: Values, what: string) {
  return z.enum(values, {
    error: (issue) =>
      issue.input === undefined
        ? `is required; use ${orList(values)}`
        : `${JSON.stringify(issue.input)} is not ${what}; use ${orList(values)}`,
  });
}

function pattern(regex: RegExp, what: string) {
  return z
    .string({ error: (issue) => (issue.input === undefined ? undefined : `must be ${what}`) })
    .regex(regex, {
      error: (issue) => `${JSON.stringify(issue.input)} is not ${what}`,
    });
}

const architecture = choice(ARCHITECTURES, "an architecture");
const dnsLabel = pattern(/^(?=.{1,63}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "a Kubernetes name (RFC 1123 label)");
const dnsSubdomain = pattern(
  /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/,
  "a Kubernetes name (RFC 1123 subdomain)",
);
const labelKey = pattern(
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/,
  "a Kubernetes label key",
);
const labelValue = pattern(/^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/, "a Kubernetes label value");
const IMAGE_REFERENCE = "an image reference ([registry/]repository[:tag][@sha256:digest])";
const IMAGE_REFERENCE_PATTERN =
  /^([A-Za-z0-9.-]+(:[0-9]+)?\/)?[a-z0-9]+([._-]+[a-z0-9]+)*(\/[a-z0-9]+([._-]+[a-z0-9]+)*)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[a-f0-9]{64})?$/;
/**
 * `[registry[:port]/]repository[:tag][@sha256:…]`: the pattern (which editors check from the JSON
 * Schema), then polyarch's own reference parser (Docker's rules), which also refuses what the pattern
 * lets through but no registry client accepts (`a..b/x`, `-reg/x`), with the reason.
 */
const imageReference = pattern(IMAGE_REFERENCE_PATTERN, IMAGE_REFERENCE).superRefine((value, context) => {
  if (!IMAGE_REFERENCE_PATTERN.test(value)) return; // already reported by the pattern
  try {
    parseRegistryReference(value);
  } catch (error: unknown) {
    // The parser's message names the value and what is wrong with it.
    const reason = error instanceof Error ? error.message : String(error);
    context.addIssue({ code: "custom", message: `${reason}; write ${IMAGE_REFERENCE}` });
  }
});
const absolutePath = pattern(/^\/\S*$/, "an absolute path");
const environmentName = pattern(
  /^[A-Za-z_][A-Za-z0-9_]*$/,
  "an environment variable name (letters, digits and _, not starting with a digit)",
);
const capability = pattern(/^[A-Z][A-Z_]*$/, "a Linux capability without the CAP_ prefix (NET_ADMIN)");
const seconds = z.int().min(1).describe("Seconds.");
const id = z.int().min(0).max(2_147_483_647);
/** A Kubernetes resource quantity (`500m`, `2`, `4Gi`); YAML numbers are accepted and kept as written. */
const quantity = z
  .union([z.string(), z.number()], {
    error: (issue) =>
      issue.input === undefined
        ? undefined
        : `${JSON.stringify(issue.input)} is not a Kubernetes quantity (500m, 2, 4Gi)`,
  })
  .transform((value) => String(value))
  .pipe(
    pattern(/^[0-9]+(\.[0-9]+)?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/, "a Kubernetes quantity (500m, 2, 4Gi)"),
  );

const tokenString = z.string().regex(/^\$(\{[A-Za-z_][A-Za-z0-9_]*\}|[A-Za-z_][A-Za-z0-9_]*)$/, {
  error: (issue) => {
    const kind = typeof issue.input === "string" ? findTokenKind(issue.input) : undefined;
    return kind === undefined
      ? "must reference the token, not contain it: $RUNNER_TOKEN or { kubernetes_secret: NAME }"
      : literalTokenMessage(kind);
  },
});

/** Where the runner authentication token (`glrt-…`) comes from; the token itself never appears. */
const tokenReference = z
  .union(
    [
      tokenString,
      fleetObject({ env: environmentName }, "An environment variable of the runner process."),
      fleetObject(
        { kubernetes_secret: dnsSubdomain },
        "A Secret with keys runner-token and runner-registration-token.",
      ),
    ],
    { error: () => "must be $VARIABLE, { env: VARIABLE } or { kubernetes_secret: NAME }" },
  )
  .transform((reference): TokenReference => {
    if (typeof reference === "string") return { env: envReferenceName(reference)! };
    return reference;
  })
  .describe(
    "The runner authentication token (glrt-…) by reference: $RUNNER_TOKEN (expanded by the runner) or " +
      "{ kubernetes_secret: NAME } (the chart's runners.secret).",
  );
export type TokenReference = { env: string } | { kubernetes_secret: string };

const global = fleetObject(
  {
    concurrent: z.int().min(1).default(10).describe("Jobs run at once across all runners."),
    check_interval: z.int().min(1).default(3).describe("Seconds between checks for new jobs."),
    log_level: choice(["debug", "info", "warn", "error", "fatal", "panic"], "a log level").default("info"),
    log_format: choice(["runner", "text", "json"], "a log format").default("runner"),
    shutdown_timeout: z.int().min(0).default(30).describe("Seconds a graceful shutdown may take."),
  },
  "The global section of config.toml.",
).prefault({});

const cacheCommon = {
  path: z.string().min(1).optional().describe("Prefix for cache object names."),
  shared: z.boolean().default(false).describe("Share the cache between runners."),
  credentials_secret: dnsSubdomain
    .optional()
    .describe(
      "Kubernetes runners only: the chart's runners.cache.secretName holding the storage credentials.",
    ),
};
const cache = z.discriminatedUnion(
  "type",
  [
    fleetObject(
      {
        type: z.literal("s3"),
        ...cacheCommon,
        s3: fleetObject(
          {
            bucket_name: z.string().min(1),
            bucket_location: z.string().min(1).optional(),
            server_address: z.string().min(1).optional(),
            authentication_type: choice(["iam", "access-key"], "an S3 authentication type").optional(),
            server_side_encryption: choice(["S3", "KMS"], "an S3 encryption type").optional(),
            server_side_encryption_key_id: z.string().min(1).optional(),
          },
          "[runners.cache.s3]; credentials come from IAM or credentials_secret, never from this file.",
        ),
      },
      "Distributed cache in S3.",
    ),
    fleetObject(
      {
        type: z.literal("gcs"),
        ...cacheCommon,
        gcs: fleetObject(
          { bucket_name: z.string().min(1), credentials_file: absolutePath.optional() },
          "[runners.cache.gcs]",
        ),
      },
      "Distributed cache in Google Cloud Storage.",
    ),
    fleetObject(
      {
        type: z.literal("azure"),
        ...cacheCommon,
        azure: fleetObject(
          {
            account_name: z.string().min(1),
            container_name: z.string().min(1),
            storage_domain: z.string().min(1).optional(),
          },
          "[runners.cache.azure]",
        ),
      },
      "Distributed cache in Azure Blob Storage.",
    ),
  ],
  {
    error: (issue) =>
      issue.code === "invalid_union"
        ? "cache.type must be s3, gcs or azure, with a matching block"
        : undefined,
  },
);

/** Resource settings of [runners.kubernetes], each with its `*_overwrite_max_allowed` ceiling. */
export const RESOURCE_KEYS = ["", "helper_", "service_"].flatMap((container) =>
  ["cpu", "memory", "ephemeral_storage"].flatMap((resource) =>
    ["request", "limit"].flatMap((kind) => {
      const key = `${container}${resource}_${kind}`;
      return [key, `${key}_overwrite_max_allowed`];
    }),
  ),
);
const resources = fleetObject(
  Object.fromEntries(RESOURCE_KEYS.map((key) => [key, quantity.optional()])) as Record<
    string,
    z.ZodOptional<typeof quantity>
  >,
  "Requests and limits for build, helper and service containers, and how far jobs may raise them.",
).prefault({});

const toleration = fleetObject(
  {
    key: labelKey,
    operator: choice(["Equal", "Exists"], "a toleration operator").default("Equal"),
    value: labelValue.optional(),
    effect: choice(["NoSchedule", "PreferNoSchedule", "NoExecute"], "a taint effect"),
  },
  "A Kubernetes toleration.",
);

const security = fleetObject(
  {
    privileged: z.boolean().default(false).describe("Opt-out: privileged containers own the node."),
    allow_privilege_escalation: z
      .boolean()
      .default(false)
      .describe("Opt-out: setuid binaries may gain root."),
    run_as_non_root: z.boolean().default(true).describe("Opt-out: refuse images that run as root."),
    run_as_user: id.default(1000),
    run_as_group: id.default(1000),
    fs_group: id.default(1000),
    seccomp: choice(["RuntimeDefault", "Unconfined"], "a seccomp profile type").default("RuntimeDefault"),
    drop_all_capabilities: z
      .boolean()
      .default(true)
      .describe("Opt-out: keep the runtime's default capabilities."),
    add_capabilities: z
      .array(capability)
      .default([])
      .describe("Opt-out: capabilities to grant build containers."),
  },
  "Pod and container security for job pods; unprivileged unless opted out here.",
).prefault({});

const manager = fleetObject(
  {
    image: imageReference
      .optional()
      .describe("The gitlab-runner image of the manager pod (the chart's image)."),
    service_account: dnsSubdomain.optional().describe("An existing service account for the manager pod."),
    create_rbac: z.boolean().default(true).describe("Let the chart create the Role the manager needs."),
  },
  "The runner manager pod that the Helm chart deploys.",
).prefault({});

const kubernetes = fleetObject(
  {
    namespace: dnsLabel.describe("Namespace of job pods; install the Helm release here."),
    service_account: dnsSubdomain.optional().describe("Service account of job pods."),
    image: imageReference.default("alpine:3").describe("Default job image."),
    architectures: z
      .array(architecture)
      .min(1)
      .describe("Architectures of the node pools this runner serves."),
    default_architecture: architecture.optional().describe("For jobs that choose none; default: the first."),
    node_selector: z.record(labelKey, labelValue).default({}).describe("Extra node selectors for every job."),
    tolerations: z
      .partialRecord(architecture, z.array(toleration), {
        // zod reports keys outside the enum as unrecognized_keys, which its record issue type omits.
        error: (issue) => {
          const { code, keys } = issue as { code: string; keys?: readonly string[] };
          if (code !== "unrecognized_keys" || keys === undefined) return undefined;
          return keys.map(() => `is not an architecture; use ${orList(ARCHITECTURES)}`).join("\n");
        },
      })
      .default({})
      .describe("Tolerations per architecture (GKE taints arm64 nodes kubernetes.io/arch=arm64:NoSchedule)."),
    resources,
    image_pull_secrets: z.array(dnsSubdomain).default([]),
    security,
    manager,
  },
  "[runners.kubernetes]: job pods on a cluster with one or more architectures.",
);

const custom = fleetObject(
  {
    executor_path: absolutePath.default("/usr/local/bin/polyarch-executor"),
    settings_path: absolutePath.default("/etc/polyarch/executor.yaml"),
    builds_dir: absolutePath.default("/var/lib/polyarch/builds"),
    cache_dir: absolutePath.default("/var/lib/polyarch/cache"),
    config_exec_timeout: seconds.default(3600),
    prepare_exec_timeout: seconds.default(3600),
    cleanup_exec_timeout: seconds.default(3600),
    graceful_kill_timeout: seconds.default(600),
    force_kill_timeout: seconds.default(600),
  },
  "[runners.custom]: the polyarch executor, one binary with the stage as its argument.",
).prefault({});

const runnerCommon = {
  name: pattern(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/, "a runner name (letters, digits, _ . -)"),
  token: tokenReference,
  limit: z.int().min(0).optional().describe("Jobs this runner handles at once; 0 means no limit."),
  request_concurrency: z.int().min(1).optional(),
  output_limit: z.int().min(1).optional().describe("Maximum job log size in kilobytes."),
  environment: z.record(environmentName, z.string()).default({}).describe("Variables added to every job."),
  cache: cache.optional(),
};

const runner = z.discriminatedUnion(
  "executor",
  [
    fleetObject({ ...runnerCommon, executor: z.literal("kubernetes"), kubernetes }, "A Kubernetes runner."),
    fleetObject(
      { ...runnerCommon, executor: z.literal("custom"), custom },
      "A host running the polyarch executor.",
    ),
  ],
  {
    error: (issue) => {
      if (issue.code !== "invalid_union") return undefined;
      const executor = (issue.input as { executor?: unknown } | undefined)?.executor;
      return executor === undefined
        ? "executor is required; use kubernetes or custom"
        : `${JSON.stringify(executor)} is not a supported executor; use kubernetes or custom`;
    },
  },
);

export const fleetSchema = fleetObject(
  {
    version: z.literal(1, { error: () => "must be 1 (the fleet file format version)" }),
    gitlab: fleetObject(
      {
        url: z.url({
          protocol: /^https?$/,
          error: (issue) =>
            issue.input === undefined ? undefined : "must be the GitLab URL (https://gitlab.example.com)",
        }),
      },
      "The GitLab instance.",
    ),
    global,
    helper_image: imageReference
      .optional()
      .describe(
        "The multi-arch gitlab-runner-helper image, pinned by digest (polyarch helper refresh makes it).",
      ),
    runners: z.array(runner).min(1, { error: () => "must list at least one runner" }),
  },
  "A polyarch fleet: GitLab Runner config.toml and gitlab-runner Helm chart values from one file.",
);

export type Fleet = z.output<typeof fleetSchema>;
export type FleetInput = z.input<typeof fleetSchema>;
export type Runner = Fleet["runners"][number];
export type KubernetesRunner = Extract<Runner, { executor: "kubernetes" }>;
export type CustomRunner = Extract<Runner, { executor: "custom" }>;
export type Cache = NonNullable<Runner["cache"]>;
export type Toleration = NonNullable<KubernetesRunner["kubernetes"]["tolerations"][Architecture]>[number];
