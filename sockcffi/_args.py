"""Argument conversion shared by the socket methods, as CPython's PyArg
format units do it (same exception classes and messages)."""
from operator import index

C_INT_MIN = -2 ** 31
C_INT_MAX = 2 ** 31 - 1


def c_int(value):
    """Format unit "i": an int that fits a C int, else TypeError (not an
    integer) or OverflowError."""
    value = int(index(value))
    if value < C_INT_MIN:
        raise OverflowError("signed integer is less than minimum")
    if value > C_INT_MAX:
        raise OverflowError("signed integer is greater than maximum")
    return value
