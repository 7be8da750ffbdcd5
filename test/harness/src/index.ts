export type { Buildah } from "./buildah.ts";
export { startBuildah, vfsStorage } from "./buildah.ts";
export type { BusyboxArch, BusyboxImageOptions } from "./busybox.ts";
export { busyboxImage, busyboxPath, elfMachine, elfMachines, hostBusyboxArch } from "./busybox.ts";
export type { CiJobPayload } from "./ci-job.ts";
export { ciJobPayload } from "./ci-job.ts";
export type { EcrEndpoint, EcrRegistry, EcrRequestRecord } from "./ecr-endpoint.ts";
export {
  ECR_TEST_ACCESS_KEY,
  ECR_TEST_NAME,
  ECR_TEST_SECRET_KEY,
  ecrClient,
  setProcessEnv,
  startEcrEndpoint,
  startEcrRegistry,
} from "./ecr-endpoint.ts";
export { fakeStore } from "./fake-store.ts";
export type {
  Blob,
  Descriptor,
  Image,
  ImageFromOptions,
  ImageIndex,
  IndexOptions,
  Layer,
  ManifestFormat,
  Platform,
  SyntheticImageOptions,
  TarEntry,
} from "./fixtures.ts";
export {
  attestationFor,
  blobOf,
  imageFrom,
  indexOf,
  mediaTypes,
  platformString,
  sha256Digest,
  syntheticImage,
  tarGzLayer,
} from "./fixtures.ts";
export type { SigningIdentity, SignTokenOptions, TokenAccess, TokenClaims } from "./jwt.ts";
export { createSigningIdentity, decodeJwt, signRegistryToken } from "./jwt.ts";
export { writeLayout } from "./layout.ts";
export { assembleNodeBase, sharedLibraries } from "./node-base.ts";
export type { OtherHost, OtherHostRequest } from "./other-host.ts";
export { freePort } from "./ports.ts";
export type { Fault, FaultKind, FaultMatch, FaultProxy, FaultProxyOptions, InjectedFault } from "./proxy.ts";
export { startFaultProxy } from "./proxy.ts";
export type { FetchedManifest, PushResult } from "./push.ts";
export { fetchManifest, pushBlob, pushImage, pushIndex } from "./push.ts";
export type { Artifact, Referrer } from "./referrers.ts";
export {
  buildkitIndex,
  cosignSignature,
  cosignTag,
  fallbackTag,
  ociArtifact,
  pushCosignTag,
  pushReferrer,
  referrerDescriptor,
  referrerMediaTypes,
} from "./referrers.ts";
export type { Registry, RegistryAuth, StartRegistryOptions } from "./registry.ts";
export { startRegistry } from "./registry.ts";
export type { AuthOptions, Credentials, RegistryTarget, Session } from "./registry-http.ts";
export { authHeaders, HttpStatusError, openSession } from "./registry-http.ts";
export type { ProxiedRequest, RequestCounter, RequestFilter, Route } from "./requests.ts";
export { routeOf } from "./requests.ts";
export { pushRootfs } from "./rootfs-image.ts";
export type { SecretLeak } from "./secrets.ts";
export { captureFiles, captureOutput, registerSecret, takeSecretLeaks } from "./secrets.ts";
export type { SkopeoOptions } from "./skopeo.ts";
export { skopeo, skopeoBytes, skopeoInspectRaw, withTransport } from "./skopeo.ts";
export type { TempDir } from "./temp.ts";
export { tempDir } from "./temp.ts";
export { rejection, thrown } from "./thrown.ts";
export type { TlsProxy } from "./tls-proxy.ts";
export { loopbackLookup, startTlsProxy } from "./tls-proxy.ts";
export type { TokenGrant, TokenRequestRecord, TokenServer, TokenServerOptions } from "./token-server.ts";
export { startTokenServer } from "./token-server.ts";
