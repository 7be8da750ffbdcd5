export type { ErrorKind, PolyarchErrorOptions } from "./errors.ts";
export { inputError, isPolyarchError, PolyarchError } from "./errors.ts";
