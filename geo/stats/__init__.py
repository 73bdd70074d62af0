"""Statistics on arrays: arrays in, arrays out, no store, no roles (like esda).

One statistic per module:

* :mod:`geo.stats.getis_ord` — Getis-Ord Gi* hot spots on the H3 grid;
* :mod:`geo.stats.fdr` — the Benjamini-Hochberg false discovery rate rule and its q-values;
* :mod:`geo.stats.conditional_binomial` — health against police counts per place (one-sided
  exact test given each place's total);
* :mod:`geo.stats.mann_kendall` — the Mann-Kendall trend test;
* :mod:`geo.stats.emerging` — Esri's Emerging Hot Spot Analysis;
* :mod:`geo.stats.knox` — the Knox space-time interaction test and its verdict;
* :mod:`geo.stats.near_repeat_chains` — events linked in space and time;
* :mod:`geo.stats.event_pairs` — checked event coordinates and close pairs (shared);
* :mod:`geo.stats.clustering` — weighted HDBSCAN and matching clusters across periods.
"""

__all__ = [
    "clustering",
    "conditional_binomial",
    "emerging",
    "event_pairs",
    "fdr",
    "getis_ord",
    "knox",
    "knox_verdict",
    "mann_kendall",
    "max_cover",
    "near_repeat_chains",
    "rates",
]
