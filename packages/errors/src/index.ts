export type { ErrorCode } from "./catalogue.ts";
export { errorCatalogue } from "./catalogue.ts";
export type { PolyarchErrorOptions, ReportedError } from "./error.ts";
export { isPolyarchError, PolyarchError, reportedError } from "./error.ts";
export type { CodeEntries, ErrorKind } from "./kinds.ts";
export { MASK, REDACTED, Redactor, redactHeaders, redactText, redactUrl } from "./redact.ts";
