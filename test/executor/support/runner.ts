import { chown, mkdir, readFile, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { renderConfigToml, validateFleetYaml } from "@polyarch/runner-config";
import { type TempDir, tempDir } from "@polyarch/test-harness";
import { execa, type ResultPromise } from "execa";
import { parse as parseToml } from "smol-toml";
import { executorUser, grantTraverse, type HostUser, nodeForUser } from "./host-user.ts";

const repository = resolve(fileURLToPath(new URL("../../..", import.meta.url)));
const entry = join(repository, "test/executor/support/executor-entry.ts");
const builtBinary = join(repository, "packages/cli/bin/polyarch-executor.js");

/** gitlab-runner's values (executors/custom: the exit codes it hands every stage). */
export const BUILD_FAILURE_EXIT_CODE = 1;
export const SYSTEM_FAILURE_EXIT_CODE = 2;

/** `[runners.custom]` as `polyarch render` writes it. */
interface CustomTable {
  config_exec: string;
  config_args: string[];
  prepare_exec: string;
  prepare_args: string[];
  run_exec: string;
  run_args: string[];
  cleanup_exec: string;
  cleanup_args: string[];
}

export interface JobSpec {
  id: number;
  image?: string;
  /** `image: entrypoint:` (only in the job response, as gitlab-runner sends it). */
  entrypoint?: string[];
  script: string[];
  afterScript?: string[];
  variables?: Record<string, string>;
  /** `services:`, as the job response carries them. */
  services?: Array<{
    name: string;
    alias?: string;
    entrypoint?: string[];
    command?: string[];
    variables?: Array<{ key: string; value: string }>;
  }>;
  projectId?: number;
  concurrentId?: number;
}

export interface StageRun {
  stage: string;
  exitCode: number;
}

export interface JobRun {
  /** stdout and stderr of every stage, in order: the job log. */
  log: string;
  /** What gitlab-runner would conclude. */
  result: "success" | "failed" | "system_failure";
  /** The script's own exit code from BUILD_EXIT_CODE_FILE, when a stage failed. */
  scriptExitCode: number | undefined;
  stages: StageRun[];
}

/** A host running gitlab-runner with the polyarch executor, driven from the rendered config.toml. */
export interface RunnerHost {
  user: HostUser;
  /** The command line that runs `file` as the runner would: in its cgroup, as its user. */
  asRunner(file: string, args: string[]): string[];
  dir: string;
  /** The state_dir the settings file names (with `settingsFile: false`, nothing is there). */
  stateDir: string;
  settingsPath: string;
  custom: CustomTable;
  /** Variables every stage (and doctor) gets on top of the runner's (RunnerHostOptions.env). */
  env: Record<string, string>;
  runJob(job: JobSpec): Promise<JobRun>;
  /** Runs prepare (unless done already) and returns the running step_script (signal tests, benchmarks). */
  startStep(
    job: JobSpec,
    options?: { prepared?: boolean },
  ): Promise<{ step: ResultPromise; finish: () => Promise<void> }>;
  stage(
    name: "config" | "prepare" | "cleanup",
    job: JobSpec,
    options?: { runnerExits?: boolean },
  ): Promise<{ exitCode: number; output: string }>;
  remove(): Promise<void>;
}

/**
 * Renders a fleet file with one custom-executor host (`polyarch render`'s config.toml), and runs jobs
 * the way gitlab-runner's custom executor does: config, prepare, then `run <script> <stage>` for each
 * stage with the runner's bash scripts, then cleanup, as an ordinary user, in a temp working directory,
 * with CUSTOM_ENV_* variables, a JOB_RESPONSE_FILE and the failure exit codes in the environment.
 */
export interface RunnerHostOptions {
  /** The host user the runner runs as (host-user.ts); polyarch-ci by default. */
  user?: string;
  /** The built binary as a user installs it (benchmarks), instead of the sources. */
  built?: boolean;
  /**
   * false: no settings file, and `[runners.custom]` without `--settings` (a user who wires the executor
   * by hand); the executor then takes its defaults, and `stateDir` is not where its state goes.
   */
  settingsFile?: boolean;
  /** Variables every stage gets on top of the runner's, given the host's temporary directory. */
  env?: (dir: string) => Record<string, string>;
  /**
   * The host's `/etc/resolv.conf` as the runner's stages see it: they run in a mount namespace of
   * their own with this file bound over it (a host whose resolver is on its loopback, say).
   */
  resolvConf?: string;
  /** A cgroup v2 directory every stage (and doctor) starts in, as the runner's own (support/cgroup.ts). */
  cgroup?: string;
}

export async function startRunnerHost(
  settings: Record<string, unknown> = {},
  options: RunnerHostOptions = {},
): Promise<RunnerHost> {
  const user = executorUser(options.user);
  grantTraverse(user, entry);
  const temp: TempDir = await tempDir("polyarch-executor-host-");
  await chown(temp.path, user.uid, user.gid);
  const stateDir = join(temp.path, "state");
  const settingsPath = join(temp.path, "executor.yaml");
  const withSettings = options.settingsFile ?? true;
  if (withSettings) await writeFile(settingsPath, JSON.stringify({ state_dir: stateDir, ...settings }));
  // The sources (tests), or the built binary as a user installs it (benchmarks).
  const launcher = join(temp.path, "polyarch-executor");
  const command = options.built
    ? `${nodeForUser()} ${builtBinary}`
    : `${nodeForUser()} --conditions=polyarch-source --disable-warning=ExperimentalWarning ${entry}`;
  await writeFile(
    launcher,
    `#!/bin/sh\nexport NODE_COMPILE_CACHE=${join(temp.path, "compile-cache")}\nexec ${command} "$@"\n`,
    { mode: 0o755 },
  );
  const fleet = validateFleetYaml(
    JSON.stringify({
      version: 1,
      gitlab: { url: "https://gitlab.example.com" },
      runners: [
        {
          name: "test-host",
          executor: "custom",
          token: "$RUNNER_TOKEN",
          custom: { executor_path: launcher, settings_path: settingsPath },
        },
      ],
    }),
  );
  if (!fleet.ok) throw new Error(`test fleet is invalid: ${JSON.stringify(fleet.problems)}`);
  const toml = parseToml(renderConfigToml(fleet.fleet)) as unknown as {
    runners: Array<{ custom: CustomTable }>;
  };
  const rendered = toml.runners[0]?.custom as CustomTable;
  const withoutSettingsFlag = (args: string[]) =>
    args.filter((arg, index) => arg !== "--settings" && args[index - 1] !== "--settings");
  const custom: CustomTable = withSettings
    ? rendered
    : {
        ...rendered,
        config_args: withoutSettingsFlag(rendered.config_args),
        prepare_args: withoutSettingsFlag(rendered.prepare_args),
        run_args: withoutSettingsFlag(rendered.run_args),
        cleanup_args: withoutSettingsFlag(rendered.cleanup_args),
      };
  const extraEnv = options.env?.(temp.path) ?? {};

  const environment = async (job: JobSpec, jobDir: string) => {
    const variables: Record<string, string> = {
      CI_JOB_ID: String(job.id),
      CI_RUNNER_ID: "7",
      CI_PROJECT_ID: String(job.projectId ?? 42),
      CI_CONCURRENT_ID: String(job.concurrentId ?? job.id % 10),
      CI_PROJECT_DIR: "/builds/group/project",
      CI_BUILDS_DIR: "/builds",
      ...(job.image ? { CI_JOB_IMAGE: job.image } : {}),
      ...job.variables,
    };
    const responseFile = join(jobDir, "response.json");
    await writeFile(
      responseFile,
      JSON.stringify({
        id: job.id,
        image: job.image
          ? { name: job.image, ...(job.entrypoint ? { entrypoint: job.entrypoint } : {}) }
          : null,
        services: job.services ?? [],
        variables: Object.entries(variables).map(([key, value]) => ({ key, value, public: true })),
      }),
    );
    const env: Record<string, string> = {
      PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
      HOME: jobDir,
      TMPDIR: jobDir,
      JOB_RESPONSE_FILE: responseFile,
      BUILD_FAILURE_EXIT_CODE: String(BUILD_FAILURE_EXIT_CODE),
      SYSTEM_FAILURE_EXIT_CODE: String(SYSTEM_FAILURE_EXIT_CODE),
      BUILD_EXIT_CODE_FILE: join(jobDir, "exit-code"),
      ...extraEnv,
    };
    for (const [name, value] of Object.entries(variables)) env[`CUSTOM_ENV_${name}`] = value;
    return { env, variables };
  };

  const jobDirOf = async (job: JobSpec) => {
    const dir = join(temp.path, "runner", `job-${job.id}`);
    await mkdir(dir, { recursive: true });
    await chown(dir, user.uid, user.gid);
    await chown(join(temp.path, "runner"), user.uid, user.gid);
    return dir;
  };

  const asRunner = (file: string, args: string[]) => [
    ...(options.cgroup === undefined
      ? []
      : ["sh", "-c", 'echo $$ > "$1" && shift && exec "$@"', "runner", join(options.cgroup, "cgroup.procs")]),
    "setpriv",
    `--reuid=${user.uid}`,
    `--regid=${user.gid}`,
    "--clear-groups",
    "--",
    file,
    ...args,
  ];
  const resolvConf = options.resolvConf;
  const spawn = (file: string, args: string[], env: Record<string, string>, cwd: string) => {
    const [command, ...rest] =
      resolvConf === undefined
        ? asRunner(file, args)
        : [
            "unshare",
            "--mount",
            "--propagation",
            "private",
            "--",
            "sh",
            "-c",
            'mount --bind "$0" /etc/resolv.conf && exec "$@"',
            resolvConf,
            ...asRunner(file, args),
          ];
    return execa(command as string, rest, {
      env,
      extendEnv: false,
      cwd,
      reject: false,
      all: true,
      stdin: "ignore",
    });
  };

  /**
   * Jobs prepared through `stage` or `startStep` and not cleaned up yet, with their running step: a test
   * that fails half-way leaves them, and `remove` stops them so that they outlive neither the test nor
   * the machine's next test run.
   */
  const open = new Map<number, { job: JobSpec; step?: ResultPromise }>();

  const stage = async (
    name: "config" | "prepare" | "cleanup",
    job: JobSpec,
    options: { runnerExits?: boolean } = {},
  ) => {
    if (name === "prepare" && !open.has(job.id)) open.set(job.id, { job });
    if (name === "cleanup") open.delete(job.id);
    const jobDir = await jobDirOf(job);
    const { env } = await environment(job, jobDir);
    // runnerExits: the stage's parent is a shell that exits right after it, as a runner killed then.
    const result = options.runnerExits
      ? await execa(
          "sh",
          ["-c", '"$@"; exit $?', "runner", ...asRunner(custom[`${name}_exec`], custom[`${name}_args`])],
          { env, extendEnv: false, cwd: jobDir, reject: false, all: true, stdin: "ignore" },
        )
      : await spawn(custom[`${name}_exec`], custom[`${name}_args`], env, jobDir);
    return { exitCode: result.exitCode ?? -1, output: String(result.all ?? "") };
  };

  const writeScript = async (
    jobDir: string,
    stageName: string,
    commands: string[],
    variables: Record<string, string>,
  ) => {
    const path = join(jobDir, `script-${stageName}`);
    await writeFile(path, runnerScript(commands, variables), { mode: 0o700 });
    await chown(path, user.uid, user.gid);
    return path;
  };

  const runStage = async (
    jobDir: string,
    env: Record<string, string>,
    stageName: string,
    commands: string[],
    variables: Record<string, string>,
  ) => {
    const script = await writeScript(jobDir, stageName, commands, variables);
    return spawn(custom.run_exec, [...custom.run_args, script, stageName], env, jobDir);
  };

  const setupStages = (job: JobSpec): Array<[string, string[]]> => [
    ["prepare_script", ['echo "Running on $(hostname) via polyarch-executor..."']],
    ["get_sources", ['mkdir -p "$CI_PROJECT_DIR"', 'echo "checked out" > "$CI_PROJECT_DIR/SOURCES"']],
    ["step_script", ['cd "$CI_PROJECT_DIR"', ...job.script]],
  ];

  const host: RunnerHost = {
    user,
    asRunner,
    dir: temp.path,
    stateDir,
    settingsPath,
    custom,
    env: extraEnv,
    stage,
    async runJob(job) {
      const jobDir = await jobDirOf(job);
      const { env, variables } = await environment(job, jobDir);
      const log: string[] = [];
      const stages: StageRun[] = [];
      let result: JobRun["result"] = "success";
      const record = (stageName: string, exitCode: number | undefined, output: unknown) => {
        log.push(String(output ?? ""));
        stages.push({ stage: stageName, exitCode: exitCode ?? -1 });
        return exitCode ?? -1;
      };
      const config = await spawn(custom.config_exec, custom.config_args, env, jobDir);
      if (record("config", config.exitCode, config.stderr) !== 0) result = "system_failure";
      else {
        // gitlab-runner passes the config stage's job_env to every later stage.
        Object.assign(
          env,
          (JSON.parse(String(config.stdout)) as { job_env: Record<string, string> }).job_env,
        );
        const prepared = await spawn(custom.prepare_exec, custom.prepare_args, env, jobDir);
        if (record("prepare", prepared.exitCode, prepared.all) !== 0) result = "system_failure";
      }
      if (result === "success") {
        for (const [name, commands] of setupStages(job)) {
          const ran = await runStage(jobDir, env, name, commands, variables);
          const code = record(name, ran.exitCode, ran.all);
          if (code !== 0) {
            result = code === BUILD_FAILURE_EXIT_CODE ? "failed" : "system_failure";
            break;
          }
        }
        if (result !== "system_failure" && job.afterScript) {
          const ran = await runStage(
            jobDir,
            env,
            "after_script",
            ['cd "$CI_PROJECT_DIR"', ...job.afterScript],
            variables,
          );
          record("after_script", ran.exitCode, ran.all);
        }
        const upload = result === "success" ? "upload_artifacts_on_success" : "upload_artifacts_on_failure";
        if (result !== "system_failure") {
          const ran = await runStage(jobDir, env, upload, ['echo "Uploading artifacts..."'], variables);
          record(upload, ran.exitCode, ran.all);
          const cleaned = await runStage(
            jobDir,
            env,
            "cleanup_file_variables",
            ['rm -rf "$CI_PROJECT_DIR.tmp"'],
            variables,
          );
          record("cleanup_file_variables", cleaned.exitCode, cleaned.all);
        }
      }
      const cleanupRun = await spawn(custom.cleanup_exec, custom.cleanup_args, env, jobDir);
      record("cleanup", cleanupRun.exitCode, cleanupRun.all);
      const codeText = await readFile(env.BUILD_EXIT_CODE_FILE as string, "utf8").catch(() => undefined);
      return {
        log: log.join("\n"),
        result,
        scriptExitCode: codeText === undefined ? undefined : Number(codeText),
        stages,
      };
    },
    async startStep(job, options = {}) {
      const jobDir = await jobDirOf(job);
      const { env, variables } = await environment(job, jobDir);
      if (!options.prepared) {
        const prepared = await spawn(custom.prepare_exec, custom.prepare_args, env, jobDir);
        if (prepared.exitCode !== 0) throw new Error(`prepare failed:\n${prepared.all}`);
      }
      const script = await writeScript(jobDir, "step_script", job.script, variables);
      const step = spawn(custom.run_exec, [...custom.run_args, script, "step_script"], env, jobDir);
      open.set(job.id, { job, step });
      return {
        step,
        finish: async () => {
          open.delete(job.id);
          await spawn(custom.cleanup_exec, custom.cleanup_args, env, jobDir);
        },
      };
    },
    async remove() {
      for (const { job, step } of open.values()) {
        step?.kill("SIGKILL");
        await step?.catch(() => undefined);
        await stage("cleanup", job);
      }
      await temp.remove();
    },
  };

  return host;
}

/**
 * A stage script the way gitlab-runner's bash shell writes it: strict mode, the job's variables
 * exported, each command echoed then run inside one `eval`. (The runner quotes the eval with bash's
 * `$'…'`; Debian's busybox sh lacks it, so plain single quotes here: same effect.)
 */
export function runnerScript(
  commands: readonly string[],
  variables: Readonly<Record<string, string>>,
): string {
  const exports = Object.entries(variables).map(([name, value]) => `export ${name}=${quote(value)}\n`);
  const body = commands.map((command) => `echo ${quote(`$ ${command}`)}\n${command}\n`);
  return `#!/usr/bin/env bash\n\nset -eo pipefail\nset +o noclobber\n: | eval ${quote([...exports, ...body].join(""))}\nexit 0\n`;
}

function quote(text: string): string {
  return `'${text.replaceAll("'", `'"'"'`)}'`;
}

/**
 * `polyarch-executor doctor [args]` as the runner's user, from the host's launcher, with a bare PATH
 * and the host's own variables (a PATH without pasta, say).
 */
export function doctorAsRunnerUser(host: RunnerHost, ...args: string[]) {
  const [command, ...rest] = host.asRunner(host.custom.config_exec, [
    "doctor",
    "--settings",
    host.settingsPath,
    ...args,
  ]);
  return execa(command as string, rest, {
    reject: false,
    env: { PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", ...host.env },
    extendEnv: false,
  });
}
