export type { BlobOutcome, CopyImageOptions, CopyProgress, CopyStats } from "./copy.ts";
export { addStats, BlobTransfers, copyImage, emptyStats, transferBlob } from "./copy.ts";
export { isAttestation } from "./core/attestation.ts";
export type { DigestAlgorithm } from "./core/digest.ts";
export { digestOf, digestVerifier, isDigest, parseDigest, verifyDigest } from "./core/digest.ts";
export {
  IMAGE_MEDIA_TYPES,
  INDEX_MEDIA_TYPES,
  isImageMediaType,
  isIndexMediaType,
  MANIFEST_ACCEPT,
  MediaType,
} from "./core/media-types.ts";
export type { Platform } from "./core/platform.ts";
export {
  entryMatches,
  formatPlatform,
  normalizePlatform,
  parsePlatform,
  parsePlatformList,
  platformMatches,
  platformName,
  platformsEqual,
} from "./core/platform.ts";
export { fingerprint, isReceiptTag, receiptTag } from "./core/receipt.ts";
export type { StaleReceipt, TaggedDigest } from "./core/receipt-prune.ts";
export { planReceiptPrune } from "./core/receipt-prune.ts";
export type { ImageReference, LayoutReference, RegistryReference } from "./core/reference.ts";
export {
  DOCKER_HUB,
  formatReference,
  formatRepository,
  hasWrittenTag,
  isLoopbackRegistry,
  isValidTag,
  manifestReference,
  parseLayoutReference,
  parseReference,
  parseRegistryReference,
  parseWrittenReference,
  sameRepository,
} from "./core/reference.ts";
export type { RelabelledImage } from "./core/relabel.ts";
export { relabel } from "./core/relabel.ts";
export type {
  Descriptor,
  ImageConfig,
  ImageIndex,
  ImageManifest,
  ParsedManifest,
  PlatformObject,
} from "./core/schemas.ts";
export {
  declaredMediaType,
  encodeJson,
  parseFetchedManifest,
  parseImageConfig,
  parseManifest,
} from "./core/schemas.ts";
export type {
  Credential,
  CredentialIO,
  CredentialResolver,
  CredentialResolverOptions,
  CredentialSource,
  ExplicitCredentialOptions,
  ResolvedCredential,
} from "./credentials/index.ts";
export { createCredentialResolver, defaultCredentialIO, normalizeRegistryHost } from "./credentials/index.ts";
export type { ErrorCode, ErrorKind, PolyarchErrorOptions, ReportedError } from "./errors.ts";
export { errorCatalogue, isPolyarchError, PolyarchError, reportedError } from "./errors.ts";
export type { FileLockOptions } from "./file-lock.ts";
export { withFileLock } from "./file-lock.ts";
export type { MachineFacts } from "./host-platform.ts";
export {
  architectureOfQemuHandler,
  detectHostPlatform,
  platformOfMachine,
  qemuHandlerName,
} from "./host-platform.ts";
export { interruptedError, throwIfInterrupted } from "./interrupted.ts";
export { LayoutStore, REF_NAME } from "./layout/store.ts";
export { openStore } from "./open-store.ts";
export type { DeletingStore, ReceiptCount } from "./prune-receipts.ts";
export { pruneReceipts } from "./prune-receipts.ts";
export { readBlob } from "./read-blob.ts";
export { MASK, Redactor, redactHeaders, redactText, redactUrl } from "./redact.ts";
export type { CredentialLookup } from "./registry/auth.ts";
export type { Challenge } from "./registry/challenge.ts";
export { parseChallenges } from "./registry/challenge.ts";
export type { RateLimit, RegistryClientOptions, SecretScrubber } from "./registry/client.ts";
export { RegistryClient } from "./registry/client.ts";
export type { MountResult } from "./registry/repository.ts";
export { RegistryRepository } from "./registry/repository.ts";
export { parseRetryAfter } from "./registry/retry.ts";
export { mergeScopes, scopesForRequest } from "./registry/scopes.ts";
export type {
  BlobContent,
  BlobRef,
  DeleteOutcome,
  FetchedManifest,
  ImageStore,
  ManifestHead,
} from "./store.ts";
