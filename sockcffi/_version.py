__version__ = "0.1.0"

# The compiled module's build stamp is derived from the sources it was built
# from (see _stamp.py): nothing here is bumped by hand when gen/ changes.
