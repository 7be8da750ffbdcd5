import { describe, expect, it } from "vitest";
import { RegistryLimits } from "./limits.ts";

/** Starts tasks that stay open until released, recording how many run at once per registry. */
function harness() {
  const active = new Map<string, number>();
  const peak = new Map<string, number>();
  const releases: Array<() => void> = [];
  const task = (registries: string[]) => async () => {
    for (const r of registries) {
      active.set(r, (active.get(r) ?? 0) + 1);
      peak.set(r, Math.max(peak.get(r) ?? 0, active.get(r)!));
    }
    await new Promise<void>((resolve) => releases.push(resolve));
    for (const r of registries) active.set(r, active.get(r)! - 1);
  };
  const settle = async () => {
    // Let queued tasks start, release those running, until all are done.
    for (let round = 0; round < 50; round++) {
      await new Promise((resolve) => setImmediate(resolve));
      for (const release of releases.splice(0)) release();
    }
  };
  return { task, peak, settle };
}

describe("RegistryLimits", () => {
  it("runs at most the registry's concurrency at once, and the overall limit across registries", async () => {
    const limits = new RegistryLimits(3, (registry) => (registry === "docker.io" ? 1 : undefined));
    const { task, peak, settle } = harness();
    const runs = [
      ...Array.from({ length: 4 }, () =>
        limits.run(["docker.io", "mirror.local"], task(["docker.io", "mirror.local"])),
      ),
      ...Array.from({ length: 4 }, () =>
        limits.run(["ghcr.io", "mirror.local"], task(["ghcr.io", "mirror.local"])),
      ),
    ];
    await settle();
    await Promise.all(runs);
    expect(peak.get("docker.io")).toBe(1);
    expect(peak.get("ghcr.io")).toBeLessThanOrEqual(3);
    expect(peak.get("mirror.local")).toBe(3);
  });

  it("does not deadlock when tasks name the same registries in different orders", async () => {
    const limits = new RegistryLimits(4, () => 1);
    const { task, settle } = harness();
    const runs = [
      limits.run(["b.example", "a.example"], task(["a.example", "b.example"])),
      limits.run(["a.example", "b.example"], task(["a.example", "b.example"])),
    ];
    await settle();
    await expect(Promise.all(runs)).resolves.toHaveLength(2);
  });
});
