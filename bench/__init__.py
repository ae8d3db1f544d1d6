"""Benchmark tooling for krmfn (not part of the installed package)."""
