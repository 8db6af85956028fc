# setuptools has no pyproject.toml key for cffi_modules; everything else
# lives in pyproject.toml.
import sys

from setuptools import setup

options = {}
if sys.implementation.name == "cpython" and not hasattr(sys,
                                                        "gettotalrefcount"):
    # The extension uses only the limited API (build_ffi.py sets
    # py_limited_api): one wheel, tagged cp39-abi3, serves CPython >= 3.9.
    options["bdist_wheel"] = {"py_limited_api": "cp39"}

setup(cffi_modules=["build_ffi.py:ffibuilder"], options=options)
