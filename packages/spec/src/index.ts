export type { SpecProblem, SpecResult, YamlTextOptions } from "./spec-file.ts";
export {
  closestKey,
  formatPath,
  parseSpecText,
  parseYamlText,
  strictObject,
  typeMessage,
  unknownKeyMessage,
  validateSpecText,
} from "./spec-file.ts";
