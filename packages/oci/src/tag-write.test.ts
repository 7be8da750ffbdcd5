import { describe, expect, it } from "vitest";
import { tagWrite } from "./tag-write.ts";

describe("tagWrite", () => {
  it("is created without a tag, unchanged when the tag names the content, updated otherwise", () => {
    expect(tagWrite(undefined, "sha256:a")).toBe("created");
    expect(tagWrite({ digest: "sha256:a" }, "sha256:a")).toBe("unchanged");
    expect(tagWrite({ digest: "sha256:b" }, "sha256:a")).toBe("updated");
  });
});
