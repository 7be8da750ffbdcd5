import { describe, expect, test } from "vitest";
import { isFullRange, subordinateRange } from "./subids.ts";

describe("subordinateRange", () => {
  const runner = { name: "gitlab-runner", id: 999 };

  test("finds the runner's range by name or by uid, skipping others and comments", () => {
    const text = "# ranges\nalice:100000:65536\ngitlab-runner:165536:65536\n";
    expect(subordinateRange(text, runner)).toEqual({ start: 165536, count: 65536 });
    expect(subordinateRange("999:300000:70000\n", runner)).toEqual({ start: 300000, count: 70000 });
    expect(subordinateRange(text, { name: "bob", id: 1001 })).toBeUndefined();
  });

  test("prefers a range large enough, else reports the largest it has", () => {
    const text = "gitlab-runner:100000:1000\ngitlab-runner:200000:65536\n";
    expect(subordinateRange(text, runner)).toEqual({ start: 200000, count: 65536 });
    expect(subordinateRange("gitlab-runner:100000:10\ngitlab-runner:5:1000\n", runner)).toEqual({
      start: 5,
      count: 1000,
    });
  });

  test("ignores malformed lines", () => {
    expect(subordinateRange("gitlab-runner:x:65536\ngitlab-runner:1\n", runner)).toBeUndefined();
  });
});

test("a full range needs 65535 uids and gids beyond the runner's own", () => {
  expect(isFullRange({ uids: { start: 1, count: 65536 }, gids: { start: 1, count: 65535 } })).toBe(true);
  expect(isFullRange({ uids: { start: 1, count: 65536 }, gids: { start: 1, count: 1000 } })).toBe(false);
  expect(isFullRange({ uids: undefined, gids: { start: 1, count: 65536 } })).toBe(false);
});
