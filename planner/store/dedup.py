"""De-duplication of records on ``(kind, usage_id)`` across chunks and files: the first one wins."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from planner.store.tables import np_mask

_HASH_MAX_BYTES = 64


def _key_hashes(keys: pa.Array) -> np.ndarray | None:
    """64-bit hashes of short text keys (their length mixed in), computed with numpy.

    None when a key is missing or longer than :data:`_HASH_MAX_BYTES` bytes.
    """
    if keys.type != pa.string() or keys.null_count:
        return None
    n = len(keys)
    if n == 0:
        return np.zeros(0, dtype=np.uint64)
    offsets = np.frombuffer(keys.buffers()[1], dtype=np.int32)[keys.offset : keys.offset + n + 1]
    lengths = np.diff(offsets)
    width = int(lengths.max())
    if width > _HASH_MAX_BYTES:
        return None
    padded = np.zeros((n, max(1, -(-width // 8)) * 8), dtype=np.uint8)
    if width:
        data = np.frombuffer(keys.buffers()[2], dtype=np.uint8)
        if (lengths == width).all():  # ids of one length (GUIDs): the bytes as they lie
            padded[:, :width] = data[offsets[0] : offsets[-1]].reshape(n, width)
        else:
            cols = np.arange(width)
            inside = cols < lengths[:, None]
            view = padded[:, :width]
            view[inside] = data[(offsets[:-1, None] + cols)[inside]]
    h = lengths.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    # one round per 8 bytes of each key's own length: a key hashes alike in every chunk
    for j, word in enumerate(padded.view("<u8").T):
        mixed = (h ^ word) * np.uint64(0xFF51AFD7ED558CCD)
        mixed ^= mixed >> np.uint64(33)
        h = mixed if width == lengths.min() else np.where(lengths > 8 * j, mixed, h)
    return h


def _duplicated_within(keys: pa.Array) -> np.ndarray:
    """Which keys repeat one earlier in ``keys`` (exact)."""
    n = len(keys)
    dup = np.zeros(n, dtype=bool)
    distinct = pc.unique(keys)
    if len(distinct) < n:
        group = pc.index_in(keys, value_set=distinct).to_numpy(zero_copy_only=False)
        _, first = np.unique(group, return_index=True)
        dup[:] = True
        dup[first] = False
    return dup


def _in_seen(keys: pa.Array, seen: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """Which keys are in ``seen`` (exact)."""
    # the set to look up in is hashed on every call: hash the keys, look the seen ids up in
    # them, then the keys up in the few seen ids that matched
    again = pc.is_in(seen, value_set=keys)
    if not pc.any(again).as_py():
        return np.zeros(len(keys), dtype=bool)
    matched = seen.filter(again)
    if isinstance(matched, pa.ChunkedArray):
        matched = matched.combine_chunks()
    return np_mask(pc.is_in(keys, value_set=matched))


def _duplicated_hashed(
    keys: pa.Array,
    ordered: np.ndarray,
    order: np.ndarray,
    runs: list[np.ndarray],
    seen: pa.ChunkedArray | None,
) -> np.ndarray:
    """Which keys repeat one earlier or one of ``seen``, found by hashes.

    ``ordered`` holds the keys' hashes sorted (``keys`` taken in ``order``), ``runs`` the
    sorted runs of hashes of ``seen``; a key whose hash matches is then compared exactly.
    """
    if (ordered[1:] == ordered[:-1]).any():  # a repeated id, or two ids with one hash
        dup = _duplicated_within(keys)
    else:
        dup = np.zeros(len(keys), dtype=bool)
    if seen is None:
        return dup
    hit = np.zeros(len(keys), dtype=bool)
    for known in runs:
        # looked up in sorted order: the searches walk ``known`` front to back
        at = np.searchsorted(known, ordered).clip(max=len(known) - 1)
        hit[order] |= known[at] == ordered
    if hit.any():
        where = np.flatnonzero(hit)
        dup[where[_in_seen(keys.take(pa.array(where)), seen)]] = True
    return dup


class Seen:
    """The record ids already kept, per kind, to drop later occurrences (first one wins).

    Ids are GUIDs, compared case-insensitively (Graph writes them in lower case). Besides
    the ids, sorted arrays of their 64-bit hashes answer "seen before?" for a new chunk
    without hashing every id seen so far again; an id whose hash matches is then compared
    exactly, so a hash collision never drops a record.

    Both grow without copying what they hold on every chunk (a fetch adds a thousand ids a
    page, a million in a year): the ids are kept as the chunks they came in, and the hashes
    as a few sorted runs, each at least twice the size of the next, merged like a binary
    counter, so that adding ``n`` ids costs ``n log n`` in all rather than ``n`` per chunk.
    """

    def __init__(self) -> None:
        self._ids: dict[str, list[pa.Array]] = {}
        # sorted runs of hashes of _ids[kind]; None once an id of that kind could not be hashed
        self._hashes: dict[str, list[np.ndarray] | None] = {}

    def _seen(self, kind: str) -> pa.ChunkedArray | None:
        chunks = self._ids.get(kind)
        return None if chunks is None else pa.chunked_array(chunks, type=pa.string())

    def duplicated(
        self, kind: str, ids: pa.ChunkedArray | pa.Array, *, remember: bool = True
    ) -> np.ndarray:
        """Which of ``ids`` were seen before (in earlier calls or earlier in ``ids``).

        ``remember=False`` skips storing the new ids, for the last chunk of all.
        """
        keys = pc.utf8_lower(ids)
        if isinstance(keys, pa.ChunkedArray):
            keys = keys.combine_chunks()
        seen = self._seen(kind)
        runs = self._hashes.get(kind, []) if seen is not None else []
        h = _key_hashes(keys) if runs is not None else None
        order = ordered = None
        if h is None or runs is None:
            dup = _duplicated_within(keys)
            if seen is not None and len(seen):
                dup |= _in_seen(keys, seen)
        else:
            order = np.argsort(h)
            ordered = h[order]
            dup = _duplicated_hashed(keys, ordered, order, runs, seen)
        if remember:
            kept = keys.filter(pa.array(~dup)) if dup.any() else keys
            self._ids.setdefault(kind, []).append(kept)
            self._hashes[kind] = (
                None
                if runs is None or ordered is None or order is None
                else _add_run(runs, ordered[~dup[order]])
            )
        return dup


def _add_run(runs: list[np.ndarray], new: np.ndarray) -> list[np.ndarray]:
    """``runs`` (sorted hash arrays, largest first) with the sorted ``new`` added: merged
    into the last run while that one is not at least twice as large (two sorted runs: the
    stable sort merges them in linear time)."""
    runs = list(runs)
    while runs and len(runs[-1]) < 2 * len(new):
        new = np.sort(np.concatenate([runs.pop(), new]), kind="stable")
    if len(new):
        runs.append(new)
    return runs


def duplicated_records(seen: Seen, records: pa.Table, *, remember: bool = True) -> np.ndarray:
    """Which rows of a record table (any mix of kinds) were seen before."""
    dup = np.zeros(records.num_rows, dtype=bool)
    kinds = pc.fill_null(records["kind"], "")
    for kind in pc.unique(kinds).to_pylist():
        where = np.flatnonzero(np_mask(pc.equal(kinds, kind)))
        ids = records["usage_id"].take(pa.array(where))
        dup[where] = seen.duplicated(kind, ids, remember=remember)
    return dup


class RecordIds:
    """The record ids kept so far, to drop a record seen before (de-duplication on
    ``(kind, usage_id)``, ids compared case-insensitively, as across the files of an ingest).
    """

    def __init__(self) -> None:
        self._seen = Seen()

    def duplicated(self, records: pa.Table, *, remember: bool = True) -> np.ndarray:
        """Which rows of ``records`` (canonical Arrow table) were seen before, or earlier in
        ``records``; with ``remember`` the others are remembered."""
        return duplicated_records(self._seen, records, remember=remember)
