"""Build-time generator: probes the C headers and renders the cffi sources."""
