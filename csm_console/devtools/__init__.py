"""Tools for developers, not part of the product's use cases: the synthetic load generator
behind `csm dev generate`, used by the benchmarks and trials."""
