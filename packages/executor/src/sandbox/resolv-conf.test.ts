import { describe, expect, test } from "vitest";
import { isolatedResolvConf } from "./resolv-conf.ts";

describe("an isolated job's resolv.conf", () => {
  test("has pasta's forwarder as its only nameserver and keeps the host's search and options", () => {
    const host = [
      "# This is /run/systemd/resolve/stub-resolv.conf managed by man:systemd-resolved(8).",
      "nameserver 127.0.0.53",
      "nameserver ::1",
      "options edns0 trust-ad",
      "search corp.example.com example.com",
      "",
    ].join("\n");
    expect(isolatedResolvConf(host)).toBe(
      "nameserver 169.254.1.1\noptions edns0 trust-ad\nsearch corp.example.com example.com\n",
    );
  });

  test("keeps a domain line, and is the forwarder alone for an empty or missing host file", () => {
    expect(isolatedResolvConf("domain lab.internal\nnameserver 10.0.0.2\n")).toBe(
      "nameserver 169.254.1.1\ndomain lab.internal\n",
    );
    expect(isolatedResolvConf("")).toBe("nameserver 169.254.1.1\n");
  });
});
