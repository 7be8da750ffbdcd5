import { describe, expect, it } from "vitest";
import { anchored, selectTags, sortTags, tagVersion } from "./tags.ts";

const tags = [
  "latest",
  "3.19",
  "3.20",
  "3.21",
  "3.21.2",
  "3.22-rc1",
  "edge",
  "3.21-alpine",
  "v4.0.0",
  "3.21.polyarch-0123456789ab",
];

describe("tag filters", () => {
  it("reads versions from tags", () => {
    expect(tagVersion("3.20")).toBe("3.20.0");
    expect(tagVersion("v4")).toBe("4.0.0");
    expect(tagVersion("1.2.3-rc1")).toBe("1.2.3-rc1");
    expect(tagVersion("latest")).toBeUndefined();
    expect(tagVersion("alpine3.21-x86_64-v18.9.0")).toBeUndefined();
  });

  it("anchors allow and deny patterns to the whole tag", () => {
    expect(selectTags(tags, { allow: [anchored("3\\.2\\d")] })).toEqual(["3.21", "3.20"]);
    expect(selectTags(tags, { allow: [anchored("3\\.2")] })).toEqual([]);
    expect(selectTags(tags, { allow: [anchored("3.*")], deny: [anchored(".*-.*")] })).toEqual([
      "3.21.2",
      "3.21",
      "3.20",
      "3.19",
    ]);
  });

  it("selects by semver range (prereleases and suffixed variants left out) and keeps the latest N", () => {
    expect(selectTags(tags, { semver: ">=3.20 <4" })).toEqual(["3.21.2", "3.21", "3.20"]);
    expect(selectTags(tags, { latest: 2 })).toEqual(["v4.0.0", "3.21.2"]);
    expect(selectTags(tags, { semver: "^3", latest: 1 })).toEqual(["3.21.2"]);
    // Suffixed tags are ranked only when nothing else is left.
    expect(selectTags(["1.27-alpine", "1.26-alpine", "1.28-alpine"], { latest: 2 })).toEqual([
      "1.28-alpine",
      "1.27-alpine",
    ]);
  });

  it("never selects receipt tags, and sorts versions first, highest first", () => {
    expect(selectTags(tags)).not.toContain("3.21.polyarch-0123456789ab");
    expect(sortTags(["b", "1.2", "a", "1.10", "1.2.0"])).toEqual(["1.10", "1.2", "1.2.0", "a", "b"]);
  });

  it("never selects referrer tags, which travel with the image they refer to, even when a filter allows them", () => {
    const hex = "0123456789abcdef".repeat(4);
    const referrerTags = [`sha256-${hex}`, `sha256-${hex}.sig`, `sha256-${hex}.att`, `sha256-${hex}.sbom`];
    expect(selectTags([...tags, ...referrerTags])).toEqual(selectTags(tags));
    expect(selectTags(referrerTags, { allow: [anchored("sha256-.*")] })).toEqual([]);
    expect(selectTags([`sha256-${hex}.bak`], { allow: [anchored("sha256-.*")] })).toEqual([
      `sha256-${hex}.bak`,
    ]);
  });
});
