"""The Dagster layer: thin assets wiring the pure core (``pipeline``) into a graph."""
