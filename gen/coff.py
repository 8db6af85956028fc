"""Read a symbol's bytes out of a PE/COFF object file (a Windows target's).

The COFF twin of ``elf.py``, returning the same shape, so the cross-target
probe reads mingw-w64's objects as it reads ELF ones: the file header says
the machine, the symbol table where each symbol is.  COFF symbols carry no
size, so a symbol's bytes run to the next symbol of its section or to the
section's end; the probe compiles with ``-fdata-sections``, which gives
every variable a section of its own, so that is exactly the variable.
Only what that needs: object files (``gcc -c``), not linked images.
"""
import struct

from .elf import ElfObject as ObjectFile   # the same shape as ELF's
from .elf import ObjectFileError, zero_filled

# IMAGE_FILE_MACHINE_* values named in reports: (name, bits).
MACHINES = {
    0x14c: ("i386", 32), 0x8664: ("x86_64", 64), 0x1c4: ("arm", 32),
    0xaa64: ("aarch64", 64),
}

_IMAGE_SYM_CLASS_EXTERNAL, _IMAGE_SYM_CLASS_STATIC = 2, 3
_IMAGE_SCN_CNT_UNINITIALIZED_DATA = 0x80


class CoffError(ObjectFileError):
    """Not a COFF object file, or a truncated or corrupt one."""


def is_coff(data: bytes) -> bool:
    """Whether ``data`` starts like a COFF object of a known machine."""
    return len(data) >= 20 and struct.unpack_from("<H", data)[0] in MACHINES


def read(data: bytes) -> ObjectFile:
    """Parse ``data`` (a whole COFF object): every defined data symbol's
    bytes, by its C name.  CoffError for anything else, a truncated or
    corrupt file included."""
    if not is_coff(data):
        raise CoffError("not a COFF object file")
    try:
        return _read(data)
    except CoffError:
        raise
    except (struct.error, IndexError, KeyError, OverflowError,
            ValueError) as e:
        # A table or name that points past the data: cut short or corrupt.
        raise CoffError("truncated or corrupt COFF object file (%s)"
                        % e) from None


def _read(data: bytes) -> ObjectFile:
    (machine, nsections, _, symtab, nsymbols, optional,
     _) = struct.unpack_from("<HHIIIHH", data)
    name, bits = MACHINES[machine]
    # (name, virtual size, address, raw size, raw offset, ..., flags)
    sections = [struct.unpack_from("<8sIIIIIIHHI", data, 20 + optional
                                   + 40 * i) for i in range(nsections)]
    strings = symtab + 18 * nsymbols     # the string table follows

    def symbol_name(raw):
        if raw[:4] == b"\0\0\0\0":        # a long name, in the string table
            start = strings + struct.unpack_from("<I", raw, 4)[0]
            raw = data[start:data.index(b"\0", start)]
        return raw.split(b"\0", 1)[0].decode("ascii", "replace")

    found = []                            # (section number, offset, name)
    starts = {}                           # section number -> symbol offsets
    lengths = {}                          # section number -> its length
    i = 0
    while i < nsymbols:
        raw, value, section, _, storage, aux = struct.unpack_from(
            "<8sIhHBB", data, symtab + 18 * i)
        if 0 < section <= nsections:
            starts.setdefault(section, set()).add(value)
            if storage == _IMAGE_SYM_CLASS_STATIC and aux:
                # A section's own symbol: its auxiliary record holds the
                # section's length before the padding to its alignment.
                lengths[section], = struct.unpack_from(
                    "<I", data, symtab + 18 * (i + 1))
            elif storage in (_IMAGE_SYM_CLASS_EXTERNAL,
                             _IMAGE_SYM_CLASS_STATIC):
                found.append((section, value, symbol_name(raw)))
        i += 1 + aux
    symbols = {}
    for section, value, symbol in found:
        home = sections[section - 1]
        ends = [s for s in starts[section] if s > value] + [
            lengths.get(section, home[3])]
        length = min(ends) - value
        if home[9] & _IMAGE_SCN_CNT_UNINITIALIZED_DATA or not home[4]:
            symbols[symbol] = zero_filled(length, CoffError)
        elif home[4] + value + length > len(data):
            raise CoffError("truncated or corrupt COFF object file (section "
                            "%d ends past the file)" % section)
        else:
            symbols[symbol] = data[home[4] + value:home[4] + value + length]
        # 32-bit x86 decorates C names with a leading underscore.
        if machine == 0x14c and symbol.startswith("_"):
            symbols.setdefault(symbol[1:], symbols[symbol])
    return ObjectFile(bits, "little", name, symbols)
