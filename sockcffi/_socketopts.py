"""getsockopt()/setsockopt(), a mixin of
:class:`sockcffi._socketobject.SocketType`.

Integer options go through one C call that needs no allocation
(``sockcffi_getsockopt_int``); AF_VSOCK's options are 64-bit, as in the
stdlib.  A raw option is returned bounded by the buffer length asked for,
whatever length the kernel reports.
"""
from ._args import (C_INT_MAX, C_INT_MIN, bytes_like_error, c_int,
                    exact_int, readable_buffer, release)
from ._binding import ffi, lib
from .errors import from_errno

__all__ = []

_unpack = ffi.unpack
_c_getsockopt_int = lib.sockcffi_getsockopt_int
_OPT_FAILED = lib.SOCKCFFI_OPT_FAILED
_AF_VSOCK = getattr(lib, "AF_VSOCK", None)
_INT_SIZE = ffi.sizeof("int")
_ULL_SIZE = ffi.sizeof("unsigned long long")
# The default buffer length: ``buflen is _NO_BUFLEN`` holds for a plain 0
# only (never for an int subclass, whose comparisons may lie).
_NO_BUFLEN = 0


def int_option(fd, level, option):
    """An int option of ``fd`` (one C call, no allocation); OSError when
    getsockopt() fails.  The socket's getsockopt() makes the same call
    inline for its usual arguments."""
    value = _c_getsockopt_int(fd, level, option)
    if value == _OPT_FAILED:
        raise from_errno()
    return value


class OptionCalls:
    """The socket option calls of the socket object."""

    __slots__ = ()

    def getsockopt(self, level, option, buflen=0):
        """getsockopt(level, option[, buffersize]) -> value

        An integer option, or with ``buffersize`` the raw option bytes
        (at most ``buffersize`` of them).
        """
        # The usual call -- plain int level and option, no buffer length --
        # is one C call, with no allocation; cffi range-checks the ints.
        if (buflen is _NO_BUFLEN and level.__class__ is int
                and option.__class__ is int and self._family != _AF_VSOCK):
            value = _c_getsockopt_int(self._fd, level, option)
            if value == _OPT_FAILED:
                raise from_errno()
            return value
        if level.__class__ is not int:
            level = c_int(level)
        if option.__class__ is not int:
            option = c_int(option)
        if buflen.__class__ is not int or buflen:
            buflen = c_int(buflen)
        if not buflen:
            if self._family == _AF_VSOCK:
                value = ffi.new("unsigned long long *")
                size = ffi.new("socklen_t *", _ULL_SIZE)
                if lib.getsockopt(self._fd, level, option, value, size) < 0:
                    raise from_errno()
                return value[0]
            # cffi range-checks level/option.
            return int_option(self._fd, level, option)
        if buflen < 0 or buflen > 1024:
            raise OSError("getsockopt buflen out of range")
        buf = ffi.new("char[]", buflen)
        size = ffi.new("socklen_t *", buflen)
        if lib.getsockopt(self._fd, level, option, buf, size) < 0:
            raise from_errno()
        # Some options report the length they wanted, not what fitted.
        return _unpack(buf, min(size[0], buflen))

    def setsockopt(self, level, option, value, optlen=None):
        """setsockopt(level, option, value: int)
        setsockopt(level, option, value: buffer)
        setsockopt(level, option, None, optlen: int)

        Set a socket option from an integer, from raw bytes, or (None and a
        length) as a NULL pointer with that length.
        """
        level = c_int(level)
        option = c_int(option)
        if optlen is not None:
            if value is not None:
                raise TypeError("setsockopt() argument 3 must be None when "
                                "an option length is given, not %s"
                                % type(value).__name__)
            # Format unit "I": truncated, not checked (the kernel refuses a
            # length that makes no sense).
            optlen = exact_int(optlen) & 0xffffffff
            result = lib.setsockopt(self._fd, level, option, ffi.NULL,
                                    optlen)
        elif value is None:
            raise bytes_like_error(value)
        elif isinstance(value, (bytes, bytearray, memoryview)):
            result = self._setsockopt_buffer(level, option, value)
        else:
            try:
                number = exact_int(value)
            except TypeError:
                result = self._setsockopt_buffer(level, option, value)
            else:
                if self._family == _AF_VSOCK:
                    if not 0 <= number < 2 ** 64:
                        raise bytes_like_error(value)
                    buf = ffi.new("unsigned long long *", number)
                    size = _ULL_SIZE
                else:
                    if not C_INT_MIN <= number <= C_INT_MAX:
                        raise bytes_like_error(value)
                    buf = ffi.new("int *", number)
                    size = _INT_SIZE
                result = lib.setsockopt(self._fd, level, option, buf, size)
        if result < 0:
            raise from_errno()

    def _setsockopt_buffer(self, level, option, value):
        view = readable_buffer(value)
        try:
            return lib.setsockopt(self._fd, level, option, view, len(view))
        finally:
            release(view)
