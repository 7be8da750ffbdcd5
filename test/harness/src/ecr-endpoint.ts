import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { Redactor } from "@polyarch/errors";
import { createCredentialResolver, RegistryClient } from "@polyarch/oci";
import { type Registry, startRegistry } from "./registry.ts";
import { loopbackLookup, startTlsProxy, type TlsProxy } from "./tls-proxy.ts";

/** One GetAuthorizationToken call, for asserting the SDK signed it and how often it asked. */
export interface EcrRequestRecord {
  target: string | undefined;
  /** The access key id from the SigV4 `Authorization` header (never the secret). */
  accessKeyId: string | undefined;
  region: string | undefined;
  status: number;
}

export interface EcrEndpoint {
  /** `http://127.0.0.1:PORT`, for `AWS_ENDPOINT_URL_ECR`. */
  url: string;
  requests: EcrRequestRecord[];
  /** The password the next tokens carry (rotate it together with the registry's). */
  setPassword(password: string): void;
  /** Answer the next calls with an AWS error instead of a token. */
  failWith(error: { status: number; type: string; message: string } | undefined): void;
  stop(): Promise<void>;
}

const TARGET = "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken";
const SIGV4 = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/\d{8}\/([^/]+)\/ecr\/aws4_request/;

/**
 * A local stand-in for ECR's API that speaks the AWS JSON 1.1 protocol of GetAuthorizationToken
 * (https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_GetAuthorizationToken.html): a signed
 * POST with `X-Amz-Target`, answered with `authorizationData[].authorizationToken` = base64 `AWS:password`.
 * Requests without a SigV4 signature are refused, as AWS does.
 */
export async function startEcrEndpoint(options: {
  password: string;
  proxyEndpoint: string;
}): Promise<EcrEndpoint> {
  let password = options.password;
  let failure: { status: number; type: string; message: string } | undefined;
  const requests: EcrRequestRecord[] = [];
  const server = createServer(async (req, res) => {
    await drain(req);
    const target = header(req, "x-amz-target");
    const signed = SIGV4.exec(header(req, "authorization") ?? "");
    const answer = (status: number, body: object) => {
      requests.push({ target, accessKeyId: signed?.[1], region: signed?.[2], status });
      res.writeHead(status, { "content-type": "application/x-amz-json-1.1" }).end(JSON.stringify(body));
    };
    if (target !== TARGET)
      return answer(400, { __type: "UnknownOperationException", message: String(target) });
    if (!signed) return answer(403, { __type: "MissingAuthenticationTokenException", message: "not signed" });
    if (failure) return answer(failure.status, { __type: failure.type, message: failure.message });
    answer(200, {
      authorizationData: [
        {
          authorizationToken: Buffer.from(`AWS:${password}`).toString("base64"),
          expiresAt: Math.floor(Date.now() / 1000) + 12 * 3600,
          proxyEndpoint: options.proxyEndpoint,
        },
      ],
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    setPassword: (next) => {
      password = next;
    },
    failWith: (next) => {
      failure = next;
    },
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

async function drain(req: IncomingMessage): Promise<void> {
  for await (const _ of req) {
    // The body is `{}` (no registryIds); nothing in it changes the answer.
  }
}

/** A registry as ECR serves it here: token auth for user `AWS`, behind TLS under an ECR host name. */
export interface EcrRegistry {
  registry: Registry;
  tls: TlsProxy;
  endpoint: EcrEndpoint;
  /** `123456789012.dkr.ecr.eu-west-1.amazonaws.com:PORT`; reach it with `loopbackLookup` and `tls.certificatePem`. */
  host: string;
  /** The variables the AWS SDK's default chain and endpoint resolution read. */
  awsEnv: Record<string, string>;
  /** The token expires: ECR and the registry move to a new password together. */
  rotate(password: string): void;
  stop(): Promise<void>;
}

export const ECR_TEST_NAME = "123456789012.dkr.ecr.eu-west-1.amazonaws.com";
export const ECR_TEST_ACCESS_KEY = "AKIAPOLYARCHTEST0001";
export const ECR_TEST_SECRET_KEY = "polyarch-test-secret-access-key-0001";

/** Starts a token registry, a TLS front named like an ECR registry, and the ECR API stand-in for it. */
export async function startEcrRegistry(password = "first-ecr-password"): Promise<EcrRegistry> {
  const registry = await startRegistry({ auth: "token", username: "AWS", password });
  const tls = await startTlsProxy(registry.url, ECR_TEST_NAME);
  const endpoint = await startEcrEndpoint({ password, proxyEndpoint: `https://${tls.host}` });
  return {
    registry,
    tls,
    endpoint,
    host: tls.host,
    awsEnv: {
      AWS_ENDPOINT_URL_ECR: endpoint.url,
      AWS_ACCESS_KEY_ID: ECR_TEST_ACCESS_KEY,
      AWS_SECRET_ACCESS_KEY: ECR_TEST_SECRET_KEY,
      AWS_REGION: "eu-west-1",
      AWS_EC2_METADATA_DISABLED: "true",
    },
    rotate(next) {
      endpoint.setPassword(next);
      registry.tokenServer?.addUser("AWS", next);
    },
    async stop() {
      await endpoint.stop();
      await tls.stop();
      await registry.stop();
    },
  };
}

/** Sets `variables` in this process's environment (the AWS SDK reads it) and returns how to undo it. */
export function setProcessEnv(variables: Record<string, string>): () => void {
  const saved = Object.fromEntries(Object.keys(variables).map((key) => [key, process.env[key]]));
  Object.assign(process.env, variables);
  return () => {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  };
}

/**
 * polyarch's own resolver (no files, variables or helpers: only the ECR source answers) and a registry
 * client that reaches `ecr` under its ECR name, refreshing a refused token as the CLI's client does.
 */
export function ecrClient(ecr: EcrRegistry) {
  const redactor = new Redactor();
  const resolver = createCredentialResolver(
    { redactor },
    {
      env: {},
      readFile: async () => undefined,
      homeDir: () => "/nonexistent",
      runHelper: async () => {
        throw new Error("unexpected call: no credential helper is configured");
      },
    },
  );
  const client = new RegistryClient({
    credentials: (host) => resolver.get(host),
    refreshCredentials: resolver,
    ca: ecr.tls.certificatePem,
    lookup: loopbackLookup,
    retry: { retries: 0 },
    scrubber: redactor,
  });
  return { client, resolver, redactor };
}
