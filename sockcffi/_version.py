__version__ = "0.1.0"

# Bump when gen/bindings or the templates change what the compiled module
# offers, so an extension built from older sources is refused at import.
BINDING_API = 4

BUILD_STAMP = "sockcffi %s api %d" % (__version__, BINDING_API)
