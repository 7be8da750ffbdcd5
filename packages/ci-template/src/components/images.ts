import { COMPONENT_VERSION, type ComponentInput, input } from "./component.ts";

/** The inputs that say where polyarch's own images are, shared by every component. */
export const IMAGE_INPUTS: Readonly<Record<string, ComponentInput>> = {
  images: {
    description:
      "Where polyarch's images are: jobs run in IMAGES/polyarch (build jobs in IMAGES/polyarch-BUILDER), tagged with this component's release.",
    default: "registry.gitlab.com/polyarch/polyarch",
  },
  "image-tag": {
    description:
      "Only when including the component by SHA or branch (which has no release): the tag of polyarch's images, e.g. latest. Leave it empty with a release.",
    default: "",
  },
};

/** `<images>/<name>:<release>`: one of polyarch's images at this component's release. */
export function polyarchImage(name: string): string {
  return `${input("images")}/${name}:${COMPONENT_VERSION}${input("image-tag")}`;
}

/** A shell word that is `--flag "$VARIABLE"` when the variable is non-empty, nothing when it is empty. */
export function whenSet(variable: string, flag: string): string {
  return `\${${variable}:+${flag} "$${variable}"}`;
}

/**
 * A shell command setting VARIABLE to an array input as a comma list. An array reaches a script as JSON
 * text (`["a","b"]`; GitLab writes `["a", "b"]`); for values of letters, digits and `_.-/:` (tags,
 * platforms) dropping `[]", ` leaves exactly the comma list polyarch's flags read.
 */
export function commaList(variable: string, arrayInput: string): string {
  return `${variable}=$(printf '%s' '${input(arrayInput)}' | tr -d '[]" ')`;
}
