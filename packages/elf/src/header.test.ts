import { beforeAll, describe, expect, it } from "vitest";
import { readElfHeader } from "./header.ts";
import { elfHeaderBytes, readBusybox } from "./testing/layers.ts";

describe("readElfHeader", () => {
  let amd64: Uint8Array;
  let arm64: Uint8Array;
  beforeAll(async () => {
    amd64 = await readBusybox("amd64");
    arm64 = await readBusybox("arm64");
  });

  it("reads Debian's real amd64 busybox", () => {
    expect(readElfHeader(amd64)).toEqual({
      class: 64,
      endianness: "little",
      type: "exec",
      machine: 62,
      flags: 0,
    });
  });

  it("reads Debian's real arm64 busybox from its first 64 bytes", () => {
    expect(readElfHeader(arm64.subarray(0, 64))).toEqual({
      class: 64,
      endianness: "little",
      type: "exec",
      machine: 183,
      flags: 0,
    });
  });

  it.each([
    { name: "s390x", class: 64, endianness: "big", machine: 22, flags: 0 },
    { name: "ppc64le (ELFv2)", class: 64, endianness: "little", machine: 21, flags: 2 },
    { name: "ppc64 (ELFv1)", class: 64, endianness: "big", machine: 21, flags: 1 },
    { name: "riscv64 (RVC, double float)", class: 64, endianness: "little", machine: 243, flags: 0x5 },
    { name: "arm (EABI5, hard float)", class: 32, endianness: "little", machine: 40, flags: 0x05000400 },
    { name: "mips (o32)", class: 32, endianness: "big", machine: 8, flags: 0x70001007 },
  ] as const)("reads e_machine and e_flags of a $name header in its own byte order", (fields) => {
    expect(readElfHeader(elfHeaderBytes(fields))).toEqual({
      class: fields.class,
      endianness: fields.endianness,
      type: "exec",
      machine: fields.machine,
      flags: fields.flags,
    });
  });

  it.each([
    [0, "none"],
    [1, "rel"],
    [2, "exec"],
    [3, "dyn"],
    [4, "core"],
    [0xfe00, "other"],
  ] as const)("maps e_type %i to %s", (type, expected) => {
    expect(readElfHeader(elfHeaderBytes({ class: 64, endianness: "little", machine: 62, type }))?.type).toBe(
      expected,
    );
  });

  it("needs only the bytes up to e_flags: 40 for 32-bit, 52 for 64-bit", () => {
    const arm = elfHeaderBytes({ class: 32, endianness: "little", machine: 40 });
    expect(readElfHeader(arm.subarray(0, 40))?.machine).toBe(40);
    expect(readElfHeader(arm.subarray(0, 39))).toBeUndefined();
    expect(readElfHeader(amd64.subarray(0, 52))?.machine).toBe(62);
    expect(readElfHeader(amd64.subarray(0, 51))).toBeUndefined();
  });

  it("returns undefined for bytes that are not ELF", () => {
    const withByte = (offset: number, value: number) => {
      const bytes = amd64.slice(0, 64);
      bytes[offset] = value;
      return bytes;
    };
    expect(readElfHeader(new TextEncoder().encode("#!/bin/sh\necho hello\n"))).toBeUndefined();
    expect(readElfHeader(new Uint8Array())).toBeUndefined();
    expect(readElfHeader(new Uint8Array([0x7f, 0x45, 0x4c]))).toBeUndefined();
    expect(readElfHeader(withByte(1, 0x46))).toBeUndefined();
    expect(readElfHeader(withByte(4, 3))).toBeUndefined();
    expect(readElfHeader(withByte(5, 0))).toBeUndefined();
  });

  it("reads a header that is not at the start of its buffer", () => {
    const padded = new Uint8Array(100);
    padded.set(arm64.subarray(0, 64), 36);
    expect(readElfHeader(padded.subarray(36))?.machine).toBe(183);
  });
});
