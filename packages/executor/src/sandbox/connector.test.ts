import { describe, expect, test } from "vitest";
import { connectorArgv, isConnectorOf } from "./connector.ts";

const target = { holderPid: 41, hostPorts: [] as number[], pidFile: "/state/jobs/j/pasta.pid" };

describe("a job's connector, as data", () => {
  test("pasta forwards no host port in, maps only the given host loopback ports, and answers DNS on 169.254.1.1", () => {
    const argv = connectorArgv("pasta", { ...target, hostPorts: [5000, 5001] });
    expect(argv.file).toBe("pasta");
    const args = argv.args.join(" ");
    expect(args).toContain("--dns-forward 169.254.1.1");
    expect(args).toContain("--tcp-ports none --udp-ports none --tcp-ns 5000,5001 --udp-ns none");
    expect(args).toContain("--pid /state/jobs/j/pasta.pid --userns /proc/41/ns/user --netns /proc/41/ns/net");
    expect(connectorArgv("pasta", target).args.join(" ")).toContain("--tcp-ns none");
  });

  test("slirp4netns serves the holder's namespaces with the host's loopback closed, sandboxed, ready on fd 3", () => {
    expect(connectorArgv("slirp4netns", target)).toEqual({
      file: "slirp4netns",
      args: [
        "--configure",
        "--mtu=65520",
        "--disable-host-loopback",
        "--enable-sandbox",
        "--enable-seccomp",
        "--ready-fd=3",
        "--userns-path=/proc/41/ns/user",
        "41",
        "tap0",
      ],
    });
  });

  test("slirp4netns is never asked to forward chosen host ports", () => {
    expect(() => connectorArgv("slirp4netns", { ...target, hostPorts: [5000] })).toThrow(
      /isolated_host_ports/,
    );
  });

  test("a recorded pid is the job's connector only if its command line is that connector serving that holder", () => {
    const cmdline = (argv: { file: string; args: string[] }) => [argv.file, ...argv.args, ""].join("\0");
    const slirp = cmdline(connectorArgv("slirp4netns", target));
    const pasta = cmdline({ ...connectorArgv("pasta", target), file: "/usr/bin/pasta" });
    expect(isConnectorOf(slirp, "slirp4netns", 41)).toBe(true);
    expect(isConnectorOf(pasta, "pasta", 41)).toBe(true);
    expect(isConnectorOf(slirp, "slirp4netns", 4)).toBe(false);
    expect(isConnectorOf(slirp, "pasta", 41)).toBe(false);
    // A stage entering the job's namespaces names the holder's user namespace too.
    expect(isConnectorOf("nsenter\0--user=/proc/41/ns/user\0--\0sh\0", "slirp4netns", 41)).toBe(false);
    expect(isConnectorOf("", "pasta", 41)).toBe(false);
    // A script: the kernel runs its interpreter with the script's path first.
    expect(
      isConnectorOf(`/bin/sh\0/opt/bin/pasta\0${pasta.split("\0").slice(1).join("\0")}`, "pasta", 41),
    ).toBe(true);
  });
});
