import { describe, expect, test } from "vitest";
import { isolatedResolvConf } from "./resolv-conf.ts";

describe("an isolated job's resolv.conf", () => {
  const host = [
    "# This is /run/systemd/resolve/stub-resolv.conf managed by man:systemd-resolved(8).",
    "nameserver 127.0.0.53",
    "nameserver ::1",
    "options edns0 trust-ad",
    "search corp.example.com example.com",
    "",
  ].join("\n");

  test("has pasta's forwarder as its only nameserver and keeps the host's search and options", () => {
    expect(isolatedResolvConf(host, "pasta")).toBe(
      "nameserver 169.254.1.1\noptions edns0 trust-ad\nsearch corp.example.com example.com\n",
    );
  });

  test("has slirp4netns's forwarder (10.0.2.3) with slirp4netns, and keeps the same lines", () => {
    expect(isolatedResolvConf(host, "slirp4netns")).toBe(
      "nameserver 10.0.2.3\noptions edns0 trust-ad\nsearch corp.example.com example.com\n",
    );
  });

  test("keeps a domain line, and is the forwarder alone for an empty or missing host file", () => {
    expect(isolatedResolvConf("domain lab.internal\nnameserver 10.0.0.2\n", "pasta")).toBe(
      "nameserver 169.254.1.1\ndomain lab.internal\n",
    );
    expect(isolatedResolvConf("", "slirp4netns")).toBe("nameserver 10.0.2.3\n");
  });
});
