export type { BinfmtHandler } from "./binfmt.ts";
export {
  architectureOfQemuHandler,
  BINFMT_DIR,
  emulatedArchitectures,
  qemuHandlerName,
  readBinfmtHandlers,
} from "./binfmt.ts";
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
  formatPlatform,
  normalizePlatform,
  parsePlatform,
  parsePlatformList,
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
export {
  COSIGN_SUFFIXES,
  cosignTags,
  extendFallbackIndex,
  fallbackTag,
  isReferrerTag,
  referrerDescriptor,
  wantedReferrer,
} from "./core/referrers.ts";
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
export type { ChildMatch } from "./core/select-child.ts";
export { platformRank, platformRuns, selectChild } from "./core/select-child.ts";
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
export type { FileLockOptions } from "./file-lock.ts";
export { withFileLock } from "./file-lock.ts";
export type { MachineFacts } from "./host-platform.ts";
export {
  amd64Level,
  CPUINFO_OVERRIDE,
  detectHostPlatform,
  detectRunnablePlatform,
  platformOfMachine,
  runnablePlatformOfMachine,
} from "./host-platform.ts";
export { interruptedError, throwIfInterrupted } from "./interrupted.ts";
export type { Compression, ZlibFactories } from "./layer/compression.ts";
export { compressionOfMediaType, createDecompressor, sniffCompression } from "./layer/compression.ts";
export type { LayerStream, LayerTarEntry, ReadLayerOptions } from "./layer/read-tar.ts";
export { readLayerTar } from "./layer/read-tar.ts";
export { LayoutStore, REF_NAME } from "./layout/store.ts";
export { openStore } from "./open-store.ts";
export type { DeletingStore, ReceiptCount } from "./prune-receipts.ts";
export { pruneReceipts } from "./prune-receipts.ts";
export { readBlob } from "./read-blob.ts";
export type { FoundReferrers, ReferrerOptions, ReferrerReport } from "./referrers.ts";
export { copyReferrers, findReferrers, ReferrerCache } from "./referrers.ts";
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
export type { TagWrite } from "./tag-write.ts";
export { tagWrite } from "./tag-write.ts";
