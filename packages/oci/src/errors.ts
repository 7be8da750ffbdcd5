// Moved to @polyarch/errors; this re-export keeps in-flight imports working until they are migrated.
export * from "@polyarch/errors";
