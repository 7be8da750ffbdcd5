export type { SpecProblem, SpecResult } from "./spec-file.ts";
export {
  closestKey,
  formatPath,
  parseSpecText,
  strictObject,
  unknownKeyMessage,
  validateSpecText,
} from "./spec-file.ts";
