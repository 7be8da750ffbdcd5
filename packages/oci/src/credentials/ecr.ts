import { PolyarchError, redactText } from "@polyarch/errors";
import { normalizeRegistryHost } from "./host.ts";
import type { CredentialResolver, ResolvedCredential } from "./types.ts";

/** An ECR registry host's parts: `123456789012.dkr.ecr.eu-west-1.amazonaws.com`. */
export interface EcrHost {
  registryId: string;
  region: string;
}

/** Fetches an authorization token for one region: base64 of `AWS:password`, as ECR returns it. */
export type EcrTokenFetcher = (region: string) => Promise<{ authorizationToken: string }>;

export interface EcrSourceOptions {
  /** Loads the fetcher; the AWS SDK by default, imported only when an ECR host is looked up. */
  loadFetcher?: () => Promise<EcrTokenFetcher>;
}

// The host names ECR serves private registries under, in every partition (as docker-credential-ecr-login
// matches them). A port is allowed so a test can reach a local stand-in under the real name.
const ECR_HOST =
  /^(\d{12})\.dkr[.-]ecr(?:-fips)?\.([a-z0-9][a-z0-9-]*)\.(?:amazonaws\.com(?:\.cn)?|sc2s\.sgov\.gov|c2s\.ic\.gov|cloud\.adc-e\.uk|csp\.hci\.ic\.gov)(?::\d+)?$/;

/** The registry id and region of an ECR host, or `undefined` for any other registry. */
export function parseEcrHost(host: string): EcrHost | undefined {
  const match = ECR_HOST.exec(normalizeRegistryHost(host));
  return match ? { registryId: match[1] as string, region: match[2] as string } : undefined;
}

/**
 * Credentials for ECR registries without `docker-credential-ecr-login`: an authorization token from
 * ECR's GetAuthorizationToken, signed with the AWS SDK's default credential chain (env keys, IRSA web
 * identity, instance or task role; `AWS_ENDPOINT_URL_ECR` is honoured). Tokens last 12 hours, so the
 * credential is `refreshable`: a refusal mid-run fetches a new one.
 */
export function ecrCredentialSource(options: EcrSourceOptions = {}): CredentialResolver {
  const loadFetcher = options.loadFetcher ?? loadSdkFetcher;
  let fetcher: Promise<EcrTokenFetcher> | undefined;
  const lookup = async (target: string): Promise<ResolvedCredential | undefined> => {
    const ecr = parseEcrHost(target);
    if (ecr === undefined) return undefined;
    fetcher ??= loadFetcher();
    let token: string;
    try {
      ({ authorizationToken: token } = await (await fetcher)(ecr.region));
    } catch (error: unknown) {
      const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      throw new PolyarchError(
        "POLYARCH_E_ECR_TOKEN",
        `could not get an ECR authorization token for ${target}: ${redactText(reason)}`,
        {
          hint: "give the job AWS credentials allowed ecr:GetAuthorizationToken (an IAM role, IRSA, or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)",
          cause: error,
        },
      );
    }
    const decoded = Buffer.from(token, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    if (colon <= 0) {
      throw new PolyarchError("POLYARCH_E_ECR_TOKEN", `ECR returned a malformed token for ${target}`, {
        hint: "the token is not base64 of user:password; check AWS_ENDPOINT_URL_ECR",
      });
    }
    return {
      credential: { kind: "basic", username: decoded.slice(0, colon), password: decoded.slice(colon + 1) },
      from: `ECR GetAuthorizationToken (${ecr.region})`,
      refreshable: true,
    };
  };
  return { lookup, get: async (target) => (await lookup(target))?.credential };
}

async function loadSdkFetcher(): Promise<EcrTokenFetcher> {
  const { ECRClient, GetAuthorizationTokenCommand } = await import("@aws-sdk/client-ecr");
  const clients = new Map<string, InstanceType<typeof ECRClient>>();
  return async (region) => {
    let client = clients.get(region);
    if (client === undefined) {
      client = new ECRClient({ region });
      clients.set(region, client);
    }
    const answer = await client.send(new GetAuthorizationTokenCommand({}));
    const authorizationToken = answer.authorizationData?.[0]?.authorizationToken;
    if (!authorizationToken) throw new Error("the answer held no authorizationData");
    return { authorizationToken };
  };
}
