import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  architectureOfQemuHandler,
  emulatedArchitectures,
  qemuHandlerName,
  readBinfmtHandlers,
} from "./binfmt.ts";

describe("QEMU's binfmt_misc handlers", () => {
  it("are named for the architectures they run, both ways", () => {
    expect(qemuHandlerName("arm64")).toBe("qemu-aarch64");
    expect(qemuHandlerName("amd64")).toBe("qemu-x86_64");
    expect(qemuHandlerName("arm")).toBe("qemu-arm");
    expect(architectureOfQemuHandler("qemu-aarch64")).toBe("arm64");
    expect(architectureOfQemuHandler("qemu-i386")).toBe("386");
    expect(architectureOfQemuHandler("python3.11")).toBeUndefined();
  });

  it("emulate the architectures of enabled QEMU handlers only", () => {
    expect(
      emulatedArchitectures([
        { name: "qemu-aarch64", enabled: true },
        { name: "qemu-arm", enabled: false },
        { name: "python3.11", enabled: true },
      ]),
    ).toEqual(["arm64"]);
  });
});

describe("readBinfmtHandlers", () => {
  // A directory laid out as the kernel lays out /proc/sys/fs/binfmt_misc, with its files' first lines.
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "polyarch-binfmt-"));
    await writeFile(join(dir, "register"), "");
    await writeFile(
      join(dir, "qemu-aarch64"),
      "enabled\ninterpreter /usr/libexec/qemu-binfmt/aarch64-binfmt-P\nflags: POCF\n",
    );
    await writeFile(join(dir, "qemu-arm"), "disabled\ninterpreter /usr/libexec/qemu-binfmt/arm-binfmt-P\n");
    await writeFile(join(dir, "python3.11"), "enabled\ninterpreter /usr/bin/python3.11\n");
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it("reads each handler's own switch when binfmt_misc is on", async () => {
    await writeFile(join(dir, "status"), "enabled\n");
    expect(await readBinfmtHandlers(dir)).toEqual([
      { name: "python3.11", enabled: true },
      { name: "qemu-aarch64", enabled: true },
      { name: "qemu-arm", enabled: false },
    ]);
  });

  it("counts no handler as enabled when binfmt_misc itself is off", async () => {
    await writeFile(join(dir, "status"), "disabled\n");
    const handlers = await readBinfmtHandlers(dir);
    expect(handlers?.map((h) => h.enabled)).toEqual([false, false, false]);
  });

  it("cannot say when binfmt_misc is not mounted", async () => {
    expect(await readBinfmtHandlers(join(dir, "absent"))).toBeUndefined();
  });
});
