"""Base layer: what several layers use — the analyzer's errors, shared constants (`limits`), binning on
baseline-fixed edges, the distribution types the methods and statistics exchange, and the lazy Arrow import.

May import: `native` only. Belongs here: small, dependency-free pieces that at least two layers above need (a
constant two layers agree on lives here, not in one of them)."""
