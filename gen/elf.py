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


class ElfError(ValueError):
    """Not an ELF file, or not the symbol asked for."""


class ElfObject(NamedTuple):
    bits: int             # 32 or 64
    byteorder: str        # "little" or "big"
    machine: str          # MACHINES name, or "e_machine N"
    symbols: Dict[str, bytes]


def read(data: bytes) -> ElfObject:
    """Parse ``data`` (a whole ELF file): every sized data symbol's bytes."""
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
                symbols[name] = bytes(length)
            else:
                # In an object file a symbol's value is its offset in its
                # section; in a linked file, an address within the section.
                offset = value - home[3] if home[3] else value
                symbols[name] = data[home[4] + offset:home[4] + offset
                                     + length]
    return ElfObject(bits, "little" if order == "<" else "big",
                     MACHINES.get(machine, "e_machine %d" % machine),
                     symbols)
