"""Statistics layer: mergeable per-column statistics of a dataset (`dataset_stats`: type counts, moments, KLL
sketches via `kll`, category counts, baseline-bin counts), added up column by column on lanes (`column_lanes`).

May import: `read` (the typed chunks it adds up), `base`, `native`. Belongs here: computing a statistic."""
