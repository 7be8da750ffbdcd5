import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { isPolyarchError } from "@polyarch/errors";
import { RegistryClient } from "@polyarch/oci";
import { rejection } from "@polyarch/test-harness";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { fastRetry } from "./support.ts";

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * A loopback server standing in for a registry that breaks the distribution spec in ways the real
 * registry never does (the fault proxy can only mangle what the registry sends).
 */
describe("registry answers that break the spec", () => {
  let server: Server;
  let host: string;
  let handler: Handler;
  let client: RegistryClient;

  beforeAll(async () => {
    server = createServer((req, res) => handler(req, res));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterEach(() => client.close());
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it("fails a tags/list body that is not JSON with POLYARCH_E_REGISTRY naming the repository", async () => {
    handler = (_req, res) => res.writeHead(200, { "content-type": "text/html" }).end("<html>login</html>");
    client = new RegistryClient({ retry: fastRetry });
    const error = await rejection(client.repository(host, "team/app").listTags());
    expect(isPolyarchError(error, "POLYARCH_E_REGISTRY")).toBe(true);
    expect(error.message).toContain(`${host}/team/app`);
  });

  it("fails a tags/list body without a list of tags with POLYARCH_E_REGISTRY", async () => {
    handler = (_req, res) => res.writeHead(200, { "content-type": "application/json" }).end('{"tags":"v1"}');
    client = new RegistryClient({ retry: fastRetry });
    const error = await rejection(client.repository(host, "team/app").listTags());
    expect(isPolyarchError(error, "POLYARCH_E_REGISTRY")).toBe(true);
  });

  it("turns a refused HEAD manifest into a registry error and keeps the client usable", async () => {
    handler = (req, res) => {
      if (req.method === "HEAD") {
        res.writeHead(400, { "content-type": "application/json" }).end('{"errors":[{"code":"UNSUPPORTED"}]}');
      } else {
        res.writeHead(200, { "content-type": "application/json" }).end('{"tags":["v1"]}');
      }
    };
    client = new RegistryClient({ retry: fastRetry });
    const repository = client.repository(host, "team/app");
    const error = await rejection(repository.headManifest("v1"));
    expect(isPolyarchError(error, "POLYARCH_E_REGISTRY")).toBe(true);
    expect(error.message).toContain(`HEAD manifest ${host}/team/app:v1 failed with HTTP 400`);
    expect(await repository.listTags()).toEqual(["v1"]);
  });
});
