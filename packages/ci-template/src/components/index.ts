import type { Component } from "./component.ts";
import { merge } from "./merge.ts";
import { multiArchImage } from "./multi-arch-image.ts";
import { helperRefresh, mirrorSync } from "./scheduled.ts";

/** This project's CI/CD components, in the order the README lists them. */
export const COMPONENTS: readonly Component[] = [multiArchImage, merge, helperRefresh, mirrorSync];
