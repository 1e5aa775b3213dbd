"""Benchmarks run against the installed etagcore; see bench/README.md for how to run them."""
