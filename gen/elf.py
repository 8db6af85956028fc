"""Read a symbol's bytes out of an ELF object file, for any target.

The cross-target probe compiles the constants into a data array and reads
the object file back instead of running anything: the ELF header says the
target's word size and byte order, the symbol table where the array is.
Only what that needs: relocatable or linked objects, section headers,
``.symtab``.
"""
import struct
from typing import Dict, NamedTuple

# e_machine values (elf.h) named in reports.
MACHINES = {
    2: "sparc", 3: "i386", 4: "m68k", 8: "mips", 15: "parisc", 20: "ppc",
    21: "ppc64", 22: "s390", 40: "arm", 42: "sh", 43: "sparcv9",
    62: "x86_64", 183: "aarch64", 243: "riscv", 258: "loongarch",
    0x9026: "alpha",
}

_SHT_SYMTAB, _SHT_NOBITS = 2, 8


class ObjectFileError(ValueError):
    """An object file that cannot be read back (ELF or COFF)."""


class ElfError(ObjectFileError):
    """Not an ELF file, or a truncated or corrupt one."""


class ElfObject(NamedTuple):
    bits: int             # 32 or 64
    byteorder: str        # "little" or "big"
    machine: str          # MACHINES name, or "e_machine N"
    symbols: Dict[str, bytes]


def read(data: bytes) -> ElfObject:
    """Parse ``data`` (a whole ELF file): every sized data symbol's bytes.
    ElfError for anything else, a truncated or corrupt file included."""
    try:
        return _read(data)
    except ElfError:
        raise
    except (struct.error, IndexError, OverflowError, ValueError) as e:
        # An offset or size that points past the data, a name without
        # its NUL: the file is cut short or is not what its header says.
        raise ElfError("truncated or corrupt ELF file (%s)" % e) from None


def _slice(data: bytes, start: int, length: int) -> bytes:
    if start < 0 or length < 0 or start + length > len(data):
        raise ElfError("truncated or corrupt ELF file (%d bytes at offset "
                       "%d of %d)" % (length, start, len(data)))
    return data[start:start + length]


# The largest zero-filled (.bss) symbol read back: the probe's arrays are a
# few KiB; a corrupt size must not become a gigabyte allocation.
_MAX_ZEROS = 1 << 24


def zero_filled(length: int, error=ElfError) -> bytes:
    """A zero-filled symbol's bytes; ``error`` for an impossible size."""
    if not 0 <= length <= _MAX_ZEROS:
        raise error("truncated or corrupt object file (a %d-byte "
                       "zero-filled symbol)" % length)
    return bytes(length)


def _read(data: bytes) -> ElfObject:
    if data[:4] != b"\x7fELF" or len(data) < 52:
        raise ElfError("not an ELF file")
    bits = {1: 32, 2: 64}.get(data[4])
    order = {1: "<", 2: ">"}.get(data[5])
    if bits is None or order is None:
        raise ElfError("unknown ELF class or data encoding")
    if bits == 64:
        machine, = struct.unpack_from(order + "H", data, 18)
        shoff, = struct.unpack_from(order + "Q", data, 40)
        shentsize, shnum, shstrndx = struct.unpack_from(order + "HHH",
                                                        data, 58)
        section_fmt, symbol_fmt = order + "IIQQQQIIQQ", order + "IBBHQQ"
    else:
        machine, = struct.unpack_from(order + "H", data, 18)
        shoff, = struct.unpack_from(order + "I", data, 32)
        shentsize, shnum, shstrndx = struct.unpack_from(order + "HHH",
                                                        data, 46)
        section_fmt, symbol_fmt = order + "IIIIIIIIII", order + "IIIBBH"
    sections = [struct.unpack_from(section_fmt, data, shoff + i * shentsize)
                for i in range(shnum)]
    # (name, type, flags, addr, offset, size, link, info, align, entsize)
    symbols = {}
    for sh in sections:
        if sh[1] != _SHT_SYMTAB:
            continue
        strtab = sections[sh[6]]
        size = struct.calcsize(symbol_fmt)
        for i in range(sh[5] // size):
            fields = struct.unpack_from(symbol_fmt, data, sh[4] + i * size)
            if bits == 64:
                name_at, _, _, shndx, value, length = fields
            else:
                name_at, value, length, _, _, shndx = fields
            if not name_at or not length or not 0 < shndx < len(sections):
                continue
            start = strtab[4] + name_at
            name = data[start:data.index(b"\0", start)].decode("ascii",
                                                                "replace")
            home = sections[shndx]
            if home[1] == _SHT_NOBITS:
                symbols[name] = zero_filled(length)
            else:
                # In an object file a symbol's value is its offset in its
                # section; in a linked file, an address within the section.
                offset = value - home[3] if home[3] else value
                symbols[name] = _slice(data, home[4] + offset, length)
    return ElfObject(bits, "little" if order == "<" else "big",
                     MACHINES.get(machine, "e_machine %d" % machine),
                     symbols)
