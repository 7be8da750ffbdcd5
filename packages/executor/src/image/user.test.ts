import { expect, test } from "vitest";
import { resolveUser } from "./user.ts";

const passwd = "root:x:0:0:root:/root:/bin/sh\nbuilder:x:1000:1001::/home/builder:/bin/sh\n";
const group = "root:x:0:\nbuilder:x:1001:\nstaff:x:50:\n";

test.each([
  [undefined, { uid: 0, gid: 0 }],
  ["", { uid: 0, gid: 0 }],
  ["builder", { uid: 1000, gid: 1001 }],
  ["1000", { uid: 1000, gid: 1001 }],
  ["4242", { uid: 4242, gid: 4242 }],
  ["builder:staff", { uid: 1000, gid: 50 }],
  ["1000:7", { uid: 1000, gid: 7 }],
])("User %j runs as %j", (user, expected) => {
  expect(resolveUser(user, passwd, group)).toEqual(expected);
});

test("a User the image does not know is refused", () => {
  expect(() => resolveUser("nobody-here", passwd, group)).toThrow(
    expect.objectContaining({ code: "POLYARCH_E_IMAGE_USER" }),
  );
  expect(() => resolveUser("builder:nogroup", passwd, group)).toThrow(/names group "nogroup"/);
});
