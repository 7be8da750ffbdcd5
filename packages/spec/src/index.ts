export type { SpecProblem, SpecResult, StrictObjectOptions, YamlTextOptions } from "./spec-file.ts";
export {
  closestKey,
  formatPath,
  parseSpecText,
  parseYamlText,
  strictObject,
  typeMessage,
  unknownKeyMessage,
  unknownKeyProblems,
  validateSpecText,
} from "./spec-file.ts";
