/**
 * The fields of an ELF file header that tell which machine a binary is for.
 * Spec: https://refspecs.linuxfoundation.org/elf/gabi4+/ch4.eheader.html
 */
export type ElfClass = 32 | 64;
export type ElfEndianness = "little" | "big";
/** `e_type`: `other` covers the OS- and processor-specific ranges. */
export type ElfType = "none" | "rel" | "exec" | "dyn" | "core" | "other";

export interface ElfHeader {
  class: ElfClass;
  endianness: ElfEndianness;
  type: ElfType;
  /** `e_machine`, an `EM_*` number (62 is x86-64, 183 is AArch64). */
  machine: number;
  /** `e_flags`, processor-specific (ARM EABI version and float ABI, MIPS ABI, RISC-V float ABI). */
  flags: number;
}

/** Bytes a caller must pass to `readElfHeader` to be sure to get an answer: the 64-bit header size. */
export const ELF_HEADER_BYTES = 64;

const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46] as const;
const ELF_TYPES: readonly ElfType[] = ["none", "rel", "exec", "dyn", "core"];

/** Where `e_flags` ends for each class: the header is unusable when shorter than that. */
const FLAGS_OFFSET: Record<ElfClass, number> = { 32: 0x24, 64: 0x30 };

/**
 * Parses the ELF header at the start of `bytes`, or returns undefined when the bytes are not an ELF
 * file (no magic, an invalid class or data encoding, or too short to hold `e_flags`).
 */
export function readElfHeader(bytes: Uint8Array): ElfHeader | undefined {
  if (bytes.length < ELF_MAGIC.length || ELF_MAGIC.some((byte, index) => bytes[index] !== byte)) {
    return undefined;
  }
  const elfClass = bytes[4] === 1 ? 32 : bytes[4] === 2 ? 64 : undefined;
  const endianness = bytes[5] === 1 ? "little" : bytes[5] === 2 ? "big" : undefined;
  if (elfClass === undefined || endianness === undefined) return undefined;
  const flagsOffset = FLAGS_OFFSET[elfClass];
  if (bytes.length < flagsOffset + 4) return undefined;

  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const little = endianness === "little";
  const type = view.getUint16(16, little);
  return {
    class: elfClass,
    endianness,
    type: ELF_TYPES[type] ?? "other",
    machine: view.getUint16(18, little),
    flags: view.getUint32(flagsOffset, little),
  };
}
