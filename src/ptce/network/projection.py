"""One-mode projection of a sparse bipartite incidence matrix, without any N×N structure.

For an incidence matrix B (rows × columns, 1 where a row has a column), two rows are linked when they share a
column. Shared counts come from the sparse product B Bᵀ, computed in row blocks whose size is bounded by
BLOCK_NNZ non-zeros; with `top_k` each block keeps only each row's k strongest neighbours, so memory grows with
N·k instead of N². Weights of each kept pair:

- shared: number of shared columns;
- jaccard: shared / size of the union of the two rows' columns;
- newman: Σ over shared columns c of 1 / (n_c − 1), n_c the number of rows having c (Newman 2001; networkx's
  `collaboration_weighted_projected_graph`);
- p_value: hypergeometric P(X ≥ shared) for rows with d_a and d_b columns drawn from the M columns.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import scipy.sparse as sp
from scipy.stats import hypergeom

WEIGHTS = ("shared", "jaccard", "newman")
# Above this many rows, a projection must keep top-k neighbours: keeping every pair grows with the square.
EXACT_LIMIT = 20_000
# Largest number of non-zeros one block of the sparse product may hold (bounds peak memory).
BLOCK_NNZ = 4_000_000
PAIR_CHUNK = 500_000


@dataclass(frozen=True)
class Projection:
    """Pairs (rows[k] < cols[k]) of rows of an incidence matrix sharing a column, with their weights."""

    rows: np.ndarray
    cols: np.ndarray
    shared: np.ndarray
    jaccard: np.ndarray
    newman: np.ndarray
    p_value: np.ndarray
    incidence: sp.csr_matrix
    top_k: int | None

    def weights(self, name: str) -> np.ndarray:
        return getattr(self, name)

    def touching(self, row: int) -> Projection:
        """The pairs that have `row` on one side (none for a row that is not in the matrix)."""
        keep = (self.rows == row) | (self.cols == row)
        return replace(
            self,
            rows=self.rows[keep],
            cols=self.cols[keep],
            shared=self.shared[keep],
            jaccard=self.jaccard[keep],
            newman=self.newman[keep],
            p_value=self.p_value[keep],
        )

    def shared_columns(self) -> sp.csr_matrix:
        """One row per pair: the columns both rows have."""
        b = self.incidence
        overlap = b[self.rows].multiply(b[self.cols]).tocsr()
        overlap.eliminate_zeros()
        overlap.sort_indices()
        return overlap


def _blocks(bound: np.ndarray, budget: int):
    """Consecutive row ranges whose summed bound stays near `budget`."""
    start, total = 0, 0.0
    for i, b in enumerate(bound.tolist()):
        if total and total + b > budget:
            yield start, i
            start, total = i, 0.0
        total += b
    if start < len(bound):
        yield start, len(bound)


def _unique(values: np.ndarray) -> np.ndarray:
    """Sorted distinct values (sort-based: far faster than np.unique on large int arrays with numpy 2.4)."""
    s = np.sort(values)
    if len(s) == 0:
        return s
    first = np.empty(len(s), dtype=bool)
    first[0] = True
    np.not_equal(s[1:], s[:-1], out=first[1:])
    return s[first]


def _top_k_mask(indptr: np.ndarray, cols: np.ndarray, value: np.ndarray, k: int) -> np.ndarray:
    """For a CSR block, mark each row's k largest values; ties at the k-th value go to the lower columns.

    The choice depends on nothing but the data (not on the order of entries within a row).
    """
    keep = np.ones(len(value), dtype=bool)
    for r in np.flatnonzero(np.diff(indptr) > k).tolist():
        a, z = indptr[r], indptr[r + 1]
        v = value[a:z]
        kth = np.partition(v, len(v) - k)[len(v) - k]
        chosen = v > kth
        ties = np.flatnonzero(v == kth)
        need = k - np.count_nonzero(chosen)
        if len(ties) > need:
            ties = ties[np.argpartition(cols[a:z][ties], need - 1)[:need]]
        chosen[ties] = True
        keep[a:z] = chosen
    return keep


def _block_products(rows: sp.csr_matrix, bt: sp.csr_matrix, weighted_bt: sp.csr_matrix | None):
    """Shared counts (and, if asked, Newman weights) of a block of rows with every row, entry for entry."""
    shared = (rows @ bt).tocsr()
    if weighted_bt is None:
        return shared, None
    newman = (rows @ weighted_bt).tocsr()
    if not (np.array_equal(shared.indptr, newman.indptr) and np.array_equal(shared.indices, newman.indices)):
        shared.sort_indices()  # same structure (all weights are positive), possibly another order
        newman.sort_indices()
    return shared, newman


def _newman_of(b: sp.csr_matrix, rows: np.ndarray, cols: np.ndarray, newman_w: np.ndarray) -> np.ndarray:
    """Newman weights of given pairs, from the columns each pair shares (in bounded chunks of pairs)."""
    out = np.empty(len(rows))
    for s in range(0, len(rows), PAIR_CHUNK):
        overlap = b[rows[s : s + PAIR_CHUNK]].multiply(b[cols[s : s + PAIR_CHUNK]])
        out[s : s + PAIR_CHUNK] = overlap @ newman_w
    return out


def _pairs(b: sp.csr_matrix, top_k: int | None, rank_by: str, newman_w: np.ndarray):
    """(keys i*n + j with i < j, shared counts, Newman weights) of the pairs kept, sorted by key.

    Newman weights come from a second block product when every pair is kept or they rank neighbours; otherwise
    only for the kept pairs, afterwards (cheaper when k is small).
    """
    n = b.shape[0]
    degree = np.diff(b.indptr)
    bt = b.T.tocsr()
    # A column no other row has gets weight 1 rather than 0: it only touches the (discarded) diagonal, and with
    # every weight positive both products have the same structure.
    in_block = top_k is None or rank_by == "newman"
    weighted_bt = (sp.diags(np.where(newman_w > 0, newman_w, 1.0)) @ bt).tocsr() if in_block else None
    keys, shared, newman = [np.empty(0, dtype=np.int64)], [np.empty(0)], [np.empty(0)]
    for start, stop in _blocks(b @ np.diff(bt.indptr), BLOCK_NNZ):
        s, w = _block_products(b[start:stop], bt, weighted_bt)
        i = np.repeat(np.arange(start, stop, dtype=np.int64), np.diff(s.indptr))
        j = s.indices.astype(np.int64)
        if top_k:
            value = w.data if rank_by == "newman" else s.data
            if rank_by == "jaccard":
                value = value / (degree[i] + degree[j] - value)
            value = np.where(i == j, -np.inf, value)  # a row is never its own neighbour
            keep = _top_k_mask(s.indptr, j, value, top_k) & (i != j)
        else:
            keep = j > i
        i, j = i[keep], j[keep]
        keys.append(np.minimum(i, j) * n + np.maximum(i, j))
        shared.append(s.data[keep])
        if w is not None:
            newman.append(w.data[keep])
    keys, shared = np.concatenate(keys), np.concatenate(shared)
    order = np.argsort(keys, kind="stable")  # a pair kept from both of its rows appears twice: keep the first
    keys = keys[order]
    first = np.ones(len(keys), dtype=bool)
    np.not_equal(keys[1:], keys[:-1], out=first[1:])
    keys, shared = keys[first], np.rint(shared[order][first]).astype(np.int64)
    if in_block:
        return keys, shared, np.concatenate(newman)[order][first]
    return keys, shared, _newman_of(b, keys // max(n, 1), keys % max(n, 1), newman_w)


def _p_values(shared: np.ndarray, universe: int, da: np.ndarray, db: np.ndarray) -> np.ndarray:
    """Hypergeometric survival function, computed once per distinct (shared, d_a, d_b)."""
    if len(shared) == 0:
        return np.empty(0)
    top = int(max(shared.max(), da.max(), db.max())) + 1
    key = (shared * top + da) * top + db
    distinct = _unique(key)
    inverse = np.searchsorted(distinct, key)
    s, rest = np.divmod(distinct, top * top)
    a, b = np.divmod(rest, top)
    return np.clip(hypergeom.sf(s - 1, universe, a, b), 0.0, 1.0)[inverse]


def project(
    incidence: sp.spmatrix, top_k: int | None = None, rank_by: str = "shared", p_values: bool = True
) -> Projection:
    """Project an incidence matrix onto its rows.

    Without `top_k` every pair sharing a column is kept (refused above EXACT_LIMIT rows); with it, a pair is kept
    when either row ranks the other among its k strongest neighbours by `rank_by` (ties: lower index first).
    `p_values=False` leaves them NaN: on rows with thousands of columns they cost more than the product.
    """
    if rank_by not in WEIGHTS:
        raise ValueError(f"rank_by must be one of {', '.join(WEIGHTS)}")
    b = sp.csr_matrix(incidence, dtype=np.float64, copy=True)
    b.sum_duplicates()
    b.data[:] = 1.0
    n, m = b.shape
    if top_k is None and n > EXACT_LIMIT:
        raise ValueError(f"{n} rows: keeping every pair would grow with the square; pass top_k")
    degree = np.diff(b.indptr).astype(np.int64)
    column_size = np.asarray(b.sum(axis=0)).ravel()
    newman_w = np.where(column_size > 1, 1.0 / np.maximum(column_size - 1, 1), 0.0)
    keys, shared, newman = _pairs(b, top_k, rank_by, newman_w)
    rows, cols = keys // max(n, 1), keys % max(n, 1)
    jaccard = shared / np.maximum(degree[rows] + degree[cols] - shared, 1)
    p_value = _p_values(shared, m, degree[rows], degree[cols]) if p_values else np.full(len(rows), np.nan)
    return Projection(rows, cols, shared, jaccard, newman, p_value, b, top_k)
