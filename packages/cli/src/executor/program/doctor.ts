import type { Command } from "commander";
import type { Act } from "../../outcome.ts";
import type { Io } from "../../output.ts";
import type { DoctorOptions } from "../commands/doctor.ts";
import type { ExecutorOutcome } from "../exit.ts";
import { addSettingsOption } from "./settings-flag.ts";

/**
 * `polyarch-executor doctor [--cleanup]`: prints every check, exits 1 when something is missing; with
 * `--cleanup` first stops and removes the jobs of runners that died before `cleanup`.
 */
export function declareDoctor(program: Command, io: Io, act: Act<ExecutorOutcome>): void {
  addSettingsOption(
    program
      .command("doctor")
      .description(
        "check bubblewrap, user namespaces, overlayfs, binfmt, the state dir, subordinate ids, the network connector (pasta or slirp4netns), the cgroup jobs get (and cpu/memory limits) and left jobs; print fixes",
      )
      .option(
        "--cleanup",
        "first stop and remove jobs whose runner died before cleanup (their services, namespaces, cgroups and directories)",
      ),
  ).action(
    act(async (options: DoctorOptions) => {
      const [{ doctor }, { formatDoctor }] = await Promise.all([
        import("../commands/doctor.ts"),
        import("@polyarch/executor"),
      ]);
      const checks = await doctor(options, io);
      io.stdout.write(formatDoctor(checks));
      return checks.every((check) => check.ok) ? "succeeded" : "checks-failed";
    }),
  );
}
