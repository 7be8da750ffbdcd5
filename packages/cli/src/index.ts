export { executorMain } from "./executor/main.ts";
export { EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, EXIT_PARTIAL } from "./exit.ts";
export { buildProgram, main } from "./main.ts";
export type { Io } from "./output.ts";
export { processIo } from "./output.ts";
