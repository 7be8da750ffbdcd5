import { PolyarchError } from "@polyarch/errors";
import { readInRoot } from "../layers/tree-fs.ts";

export interface SandboxUser {
  uid: number;
  gid: number;
}

/** The user a job or service runs as: the image's `User`, resolved in the image tree's own databases. */
export async function imageUser(root: string, user: string | undefined): Promise<SandboxUser> {
  return resolveUser(user, await readInRoot(root, "/etc/passwd"), await readInRoot(root, "/etc/group"));
}

/**
 * The image's `User` (`name`, `uid`, `name:group`, `uid:gid`) as numbers, looked up in the image's own
 * /etc/passwd and /etc/group text. No `User` means root, as in Docker.
 */
export function resolveUser(
  user: string | undefined,
  passwd: string | undefined,
  group: string | undefined,
): SandboxUser {
  if (user === undefined || user === "") return { uid: 0, gid: 0 };
  const [userPart = "", groupPart] = user.split(":", 2);
  const users = parseDatabase(passwd);
  const found = /^\d+$/.test(userPart)
    ? users.find((entry) => entry[2] === userPart)
    : users.find((entry) => entry[0] === userPart);
  const uid = /^\d+$/.test(userPart) ? Number(userPart) : found ? Number(found[2]) : undefined;
  if (uid === undefined) {
    throw new PolyarchError("POLYARCH_E_IMAGE_USER", `the image's User "${user}" is not in its /etc/passwd`, {
      hint: "set USER to a numeric uid[:gid] or to a user the image creates",
    });
  }
  if (groupPart === undefined) return { uid, gid: found ? Number(found[3]) : uid === 0 ? 0 : uid };
  if (/^\d+$/.test(groupPart)) return { uid, gid: Number(groupPart) };
  const groupEntry = parseDatabase(group).find((entry) => entry[0] === groupPart);
  if (groupEntry === undefined) {
    throw new PolyarchError(
      "POLYARCH_E_IMAGE_USER",
      `the image's User "${user}" names group "${groupPart}", which is not in its /etc/group`,
      {
        hint: "set USER to uid:gid, or to a group the image creates",
      },
    );
  }
  return { uid, gid: Number(groupEntry[2]) };
}

function parseDatabase(text: string | undefined): string[][] {
  return (text ?? "")
    .split("\n")
    .filter((line) => line.trim() !== "" && !line.startsWith("#"))
    .map((line) => line.split(":"));
}
