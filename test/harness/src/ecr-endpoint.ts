import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";

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
