"""Benchmarks of the request budget in simulated time."""
