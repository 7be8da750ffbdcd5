import { describe, expect, it } from "vitest";
import { architectureOfQemuHandler, platformOfMachine, qemuHandlerName } from "./host-platform.ts";

describe("platformOfMachine", () => {
  it("names the machine in Go's words, with the ARM variant from cpuinfo", () => {
    expect(platformOfMachine({ arch: "x64", os: "linux" })).toEqual({ os: "linux", architecture: "amd64" });
    expect(platformOfMachine({ arch: "arm64", os: "linux" })).toEqual({ os: "linux", architecture: "arm64" });
    const cpuinfo = "processor\t: 0\nmodel name\t: ARMv7 Processor rev 4 (v7l)\nCPU architecture: 7\n";
    expect(platformOfMachine({ arch: "arm", os: "linux", cpuinfo })).toEqual({
      os: "linux",
      architecture: "arm",
      variant: "v7",
    });
    expect(platformOfMachine({ arch: "arm", os: "linux", cpuinfo: "CPU architecture: 6\n" }).variant).toBe(
      "v6",
    );
    expect(platformOfMachine({ arch: "ppc64", os: "linux", endianness: "LE" }).architecture).toBe("ppc64le");
  });
});

describe("QEMU's binfmt_misc handlers", () => {
  it("are named for the architectures they run, both ways", () => {
    expect(qemuHandlerName("arm64")).toBe("qemu-aarch64");
    expect(qemuHandlerName("amd64")).toBe("qemu-x86_64");
    expect(qemuHandlerName("arm")).toBe("qemu-arm");
    expect(architectureOfQemuHandler("qemu-aarch64")).toBe("arm64");
    expect(architectureOfQemuHandler("qemu-i386")).toBe("386");
    expect(architectureOfQemuHandler("python3.11")).toBeUndefined();
  });
});
