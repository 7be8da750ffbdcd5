import { describe, expect, it } from "vitest";
import { checkTemplate, expandTemplate } from "./template.ts";

const amd64 = { os: "linux", architecture: "amd64" };
const armv7 = { os: "linux", architecture: "arm", variant: "v7" };

describe("expandTemplate: manifest-tool's bare words", () => {
  it("replaces ARCH, OS and VARIANT", () => {
    expect(expandTemplate("reg.example/app:OS-ARCH-VARIANT", armv7)).toBe("reg.example/app:linux-arm-v7");
  });

  it("replaces only the first occurrence of each word", () => {
    expect(expandTemplate("reg.example/ARCH/app:ARCH-OS-OS", amd64)).toBe(
      "reg.example/amd64/app:ARCH-linux-OS",
    );
  });

  it("matches inside other words, as manifest-tool's strings.Replace(…, 1) does", () => {
    expect(expandTemplate("reg.example/COSMOS:OS-ARCH", amd64)).toBe("reg.example/ClinuxMOS:OS-amd64");
  });

  it("replaces VARIANT with nothing when the platform has none", () => {
    expect(expandTemplate("reg.example/app:ARCHVARIANT", amd64)).toBe("reg.example/app:amd64");
  });
});

describe("expandTemplate: braces", () => {
  it("replaces every {arch}, {os} and {variant}", () => {
    expect(expandTemplate("reg.example/{arch}/app:{os}-{arch}{variant}-{os}", armv7)).toBe(
      "reg.example/arm/app:linux-armv7-linux",
    );
  });

  it("leaves the bare words alone once a brace placeholder is used", () => {
    expect(expandTemplate("reg.example/ARCHIVE/app:{arch}-OS", amd64)).toBe(
      "reg.example/ARCHIVE/app:amd64-OS",
    );
  });
});

describe("checkTemplate", () => {
  it("accepts either placeholder form", () => {
    expect(() => checkTemplate("reg.example/app:{arch}")).not.toThrow();
    expect(() => checkTemplate("reg.example/app:ARCH")).not.toThrow();
  });

  it("refuses a template without a placeholder as bad input", () => {
    expect(() => checkTemplate("reg.example/app:1.4")).toThrow(
      expect.objectContaining({ code: "POLYARCH_E_BAD_TEMPLATE" }),
    );
    expect(() => checkTemplate("reg.example/app:{ARCH}x")).not.toThrow(); // ARCH still a bare word
    expect(() => checkTemplate("reg.example/app:{architecture}")).toThrow(/no placeholder/);
  });
});
