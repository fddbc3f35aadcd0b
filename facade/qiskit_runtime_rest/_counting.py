"""Counting kernels behind ``BitArray``: shots to counts, bitstrings and integers, fast at every
register width, in the two forms results arrive in.

``HexShots`` holds the plain format's hex strings (``["0x3", "0x1", ...]``); ``PackedShots``
holds the Qiskit format's ``uint8`` array of big-endian packed bits, one row per shot. Both give
what the seed notebook's ``Counter(int(x, 16) for x in samples)`` gives: the same values, in the
same first-seen order, and the same exceptions for malformed samples.

No fast path trusts its input: each one proves it saw every shot in the form it assumes, and
otherwise hands over to the general path.

- A handful of distinct samples (the common case): each is counted by one ``str.count`` scan of
  all samples joined, then parsed once.
- Up to ``_SPARSE_DISTINCT`` distinct short samples, with numpy: the joined samples are read as
  one 64-bit word per shot, each word matched against a table of the samples seen so far
  (``_TokenTable``); no Python work per shot.
- Otherwise, when values repeat: the distinct strings are tallied in C, then each parsed once.
- Nearly every shot distinct (wide registers, uniform outcomes): each shot is converted straight
  into the one dict or list returned, never through a second dict of the same size, and nothing
  is cached: integers by chained C-level ``map`` calls, bitstrings with numpy a small piece at a
  time (``_BitstringPieces``), or by ``map`` calls without it.

Memory. The joined samples take (sample length + 1) bytes per shot: less than the decoded text of
the response body, which ``json.loads`` has just released, so decoding does not raise the peak
of reading a result. numpy's buffers are bounded by working a piece at a time.
"""

from __future__ import annotations

import collections
import re
import sys
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from itertools import repeat
from typing import Any, Literal, TypeVar

__all__ = ["HexShots", "PackedShots", "numpy_for", "tally"]

K = TypeVar("K", bound=Hashable)

# Counter's own counting loop (C in CPython), which writes into any dict: counting into a plain
# dict this way avoids both a Counter's different repr and a copy of a possibly huge Counter.
_count_elements: Callable[[dict[Any, int], Iterable[Any]], None] = collections._count_elements  # type: ignore[attr-defined]

_PROBE_SHOTS = 1 << 14
"""At most this many first shots (a 64th of them, at least ``_MIN_PROBE_SHOTS``) are looked at
to guess how many distinct outcomes there are, and to fill the token table with all but the
rarest."""

_MIN_PROBE_SHOTS = 2048

_SCAN_DISTINCT = 4
"""At most this many distinct samples in the probe: one ``str.count`` scan each (a scan costs
about a twentieth of ``json.loads`` of the same samples)."""

_SPARSE_DISTINCT = 256
"""At most this many: the numpy token table; more, and the samples are tallied or parsed."""

_TABLE_SHOTS = 1 << 15
"""The token table's fixed costs (a table, a probe) pay off from about this many shots."""

_REPEATS = 4
"""Tally the distinct strings first only if each is expected to repeat this often on average."""

_NUMPY_IMPORT_SHOTS = 200_000
"""numpy is imported for a register of at least this many shots, where it saves more than its
import costs (~0.1 s); below that it is used only if something imported it already."""

_PIECE_CHARS = 1 << 18
"""At most this many characters of joined samples are handed to numpy at a time, and at most a
32nd of them: with the joined samples, numpy's buffers (about 45 bytes per sample of the
piece) then fit in what ``json.loads`` freed, the body's decoded text (two or three bytes a
sample longer than the joined samples)."""

_CHUNK_SHOTS = 1 << 16
"""Rows of packed shots handled at a time."""

_LITTLE: Literal["little"] = "little"
HEX_SAMPLE = re.compile(r"0x[0-9a-fA-F]+")


def numpy_for(shots: int) -> Any:
    """numpy when it is worth using for this many shots and installed, else None."""
    np = sys.modules.get("numpy")
    if np is not None or shots < _NUMPY_IMPORT_SHOTS:
        return np
    try:
        import numpy
    except ImportError:
        return None
    return numpy


def tally(values: Iterable[K]) -> dict[K, int]:
    """``dict(Counter(values))`` without building the Counter."""
    counts: dict[K, int] = {}
    _count_elements(counts, values)
    return counts


def _parsed(by_text: dict[Any, int]) -> dict[int, int]:
    """Counts of distinct samples to counts of values: "0x01" and "0x1" are one outcome."""
    out: dict[int, int] = {}
    for key, count in by_text.items():
        value = int(key, 16)
        out[value] = out.get(value, 0) + count
    return out


def _repeats_enough(distinct: int, probed: int, shots: int) -> bool:
    """Whether the distinct values, estimated from the probe's repeats (the birthday estimate
    ``probed² / 2 repeats``), are few enough to count distinct strings first."""
    repeats = probed - distinct
    return repeats > 0 and probed * probed // (2 * repeats) * _REPEATS <= shots


class _Memo(dict[str, Any]):
    """A lookup table filled on first use: ``map(table.__getitem__, shots)`` runs at C speed and
    converts each distinct sample once."""

    __slots__ = ("_convert",)

    def __init__(self, convert: Callable[[str], Any]) -> None:
        super().__init__()
        self._convert = convert

    def __missing__(self, key: str) -> Any:
        value = self[key] = self._convert(key)
        return value


class HexShots:
    """Shots of one register in the plain format: a flat sequence of hex strings."""

    __slots__ = ("_flat",)

    def __init__(self, flat: Sequence[Any]) -> None:
        self._flat = flat

    def __len__(self) -> int:
        return len(self._flat)

    def _repeating(self) -> bool:
        """Whether samples repeat enough for converting each distinct one once to pay."""
        probe = self._flat[:_PROBE_SHOTS]
        distinct = len(set(probe))
        return distinct <= _SPARSE_DISTINCT or _repeats_enough(
            distinct, len(probe), len(self._flat)
        )

    def few_int_counts(self) -> dict[int, int] | None:
        """``{value: count}`` in first-seen order, or None when nearly every shot is distinct
        (then ``int_counts`` / ``bitstring_counts`` count directly)."""
        flat = self._flat
        if not flat:
            return {}
        probed = min(_PROBE_SHOTS, max(_MIN_PROBE_SHOTS, len(flat) // 64))
        probe = dict.fromkeys(flat[:probed])  # first-seen order, as Counter would give
        by_text: dict[Any, int] | None = None
        if len(probe) <= _SCAN_DISTINCT:
            by_text = _scan_counts(flat, list(probe))
        elif len(probe) <= _SPARSE_DISTINCT and len(flat) >= _TABLE_SHOTS:
            np = numpy_for(len(flat))
            if np is not None:
                by_text = _TokenTable(np, list(probe)).count(flat)
        elif not _repeats_enough(len(probe), min(len(flat), probed), len(flat)):
            return None
        return _parsed(tally(flat) if by_text is None else by_text)

    def int_counts(self) -> dict[int, int]:
        return tally(map(int, self._flat, repeat(16)))

    def widest(self) -> int:
        return max(map(int, self._flat, repeat(16)), default=0)

    def bitstring_counts(self, num_bits: int) -> dict[str, int]:
        pieces = _bitstring_pieces(self._flat, num_bits)
        if pieces is not None:
            counts: dict[str, int] = {}
            for piece in pieces:
                _count_elements(counts, piece)
            if pieces.complete:
                return counts
        return tally(map(format, map(int, self._flat, repeat(16)), repeat(f"0{num_bits}b")))

    def bitstrings(self, num_bits: int) -> list[str]:
        if self._repeating():
            fmt = f"{{:0{num_bits}b}}".format
            return list(map(_Memo(lambda key: fmt(int(key, 16))).__getitem__, self._flat))
        pieces = _bitstring_pieces(self._flat, num_bits)
        if pieces is not None:
            out: list[str] = []
            for piece in pieces:
                out += piece
            if pieces.complete:
                return out
        return list(map(format, map(int, self._flat, repeat(16)), repeat(f"0{num_bits}b")))

    def ints(self) -> list[int]:
        if self._repeating():
            return list(map(_Memo(lambda key: int(key, 16)).__getitem__, self._flat))
        return list(map(int, self._flat, repeat(16)))


def _bitstring_pieces(flat: Sequence[Any], num_bits: int) -> _BitstringPieces | None:
    np = numpy_for(len(flat))
    if np is None or not flat or num_bits < 1:
        return None
    return _BitstringPieces(np, flat, num_bits)


class _BitstringPieces:
    """Zero-padded bitstrings of hex samples, a few hundred shots at a time, with numpy:
    for registers where nearly every shot is distinct, so that each must be converted.

    Each sample's hex digits are gathered right-aligned into a row of ``ceil(num_bits / 4)``
    nibbles (whatever precedes the sample is masked off by its length), packed into bytes,
    unpacked into bits, offset to ASCII ``0``/``1``, and the piece's rows become strings with one
    ``decode`` and one ``split``. Every sample is proven to be ``0x`` + 1 or more hex digits
    whose value fits ``num_bits``; at the first that is not, iteration stops with ``complete``
    False and the caller converts all shots the general way. Pieces are small (the buffers take
    ~200 bytes a shot), so the result being built is all that grows.
    """

    def __init__(self, np: Any, flat: Sequence[Any], num_bits: int) -> None:
        self._np = np
        self._flat = flat
        self._bits = num_bits
        self.complete = False

    def __iter__(self) -> Iterator[list[str]]:
        np = self._np
        bits = self._bits
        digits = -(-bits // 4)
        width = digits + (digits & 1)  # nibbles, even: whole bytes
        nibble = np.full(256, 255, dtype=np.uint8)
        for value, chars in enumerate(zip("0123456789abcdef", "0123456789ABCDEF", strict=True)):
            nibble[[ord(char) for char in chars]] = value
        columns = np.arange(width, dtype=np.int32)
        context = "," * (width + 1)  # before the first sample, ending with "its" ","
        per_piece = _BITSTRING_SHOTS if bits > 16 else max(1, _BITSTRING_SHOTS // 2)
        for start in range(0, len(self._flat), per_piece):
            chunk = self._flat[start : start + per_piece]
            try:
                text = context + ",".join(chunk) + ","
            except TypeError:  # a sample that is not a string
                return
            if not text.isascii():
                return
            data = text.encode()
            raw = np.frombuffer(data, dtype=np.uint8)
            ends = np.flatnonzero(raw == ord(",")).astype(np.int32)[width + 1 :]
            if ends.size != len(chunk):  # a sample holding a ","
                return
            found = np.diff(ends, prepend=np.int32(width)) - 3  # digits of each sample
            if found.min() < 1 or found.max() > width:
                return
            heads = np.ndarray((len(data) - 1,), dtype="<u2", buffer=data, strides=(1,))
            if not (heads[ends - found - 2] == int.from_bytes(b"0x", "little")).all():
                return
            # Row i holds the `width` bytes before sample i's ",": its digits, right-aligned,
            # behind bytes of the sample's own "0x" and what precedes it, masked off here.
            values = nibble[raw[(ends - width)[:, None] + columns]]
            values[columns < (width - found)[:, None]] = 0
            if (values == 255).any():
                return
            packed = (values[:, 0::2] << 4) | values[:, 1::2]
            unpacked = np.unpackbits(packed, axis=1)
            spare = unpacked.shape[1] - bits
            if spare and unpacked[:, :spare].any():  # a value wider than the register
                return
            ascii_rows = np.empty((len(chunk), bits + 1), dtype=np.uint8)
            np.add(unpacked[:, spare:], ord("0"), out=ascii_rows[:, :bits])
            ascii_rows[:, bits] = ord(",")
            yield ascii_rows.tobytes()[:-1].decode("ascii").split(",")
        self.complete = True


_BITSTRING_SHOTS = 512
"""Shots per piece of ``_BitstringPieces`` (half that up to 16 bits, where the result, a few
distinct bitstrings per shot, is smaller next to the piece's buffers)."""


def _scan_counts(flat: Sequence[Any], keys: list[Any]) -> dict[str, int] | None:
    """Counts of ``keys`` by ``str.count`` over the joined samples, or None if some shot is not
    one of them. Exact: every key is ``0x`` + hex digits, so ``key + ","`` can only match at the
    start of a sample; the totals (shots and characters covered) prove nothing else is there."""
    if not all(isinstance(key, str) and HEX_SAMPLE.fullmatch(key) for key in keys):
        return None
    try:
        joined = ",".join(flat)  # the last sample is the one not followed by ","
    except TypeError:  # a sample that is not a string
        return None
    counts = {key: joined.count(key + ",") for key in keys}
    if flat[-1] not in counts:
        return None
    counts[flat[-1]] += 1
    covered = sum(count * (len(key) + 1) for key, count in counts.items())
    if sum(counts.values()) != len(flat) or covered != len(joined) + 1:
        return None
    return {key: count for key, count in counts.items() if count}


_TOKEN_BYTES = 8
_REHASH_SHOTS = 32
"""Shots of samples missing from the table, in one piece, that make it worth rebuilding."""
_TOKEN_PAD = "," * _TOKEN_BYTES
# Keeps the last n bytes of a little-endian 8-byte word (its high bytes), for n = 0..8.
_TOKEN_MASKS = tuple(((1 << 64) - 1) ^ ((1 << (8 * (8 - n))) - 1) for n in range(9))
# Odd 64-bit multipliers (odd multiples of the golden ratio's), tried in turn for a perfect hash.
_MULTIPLIERS = tuple(((0x9E3779B97F4A7C15 * (2 * i + 1)) % (1 << 64)) | 1 for i in range(64))


class _TokenTable:
    """Counts samples of up to seven characters against a growing table of the distinct samples
    seen so far, with numpy: no Python work per shot, and no parsing.

    The samples are joined behind ``_TOKEN_BYTES`` separators, and the eight bytes before each
    sample's closing ``,`` are read as one little-endian 64-bit word; masked to the sample's own
    length plus its opening ``,`` (the distance between separators), that word *is* the sample,
    byte for byte. A multiplicative hash, re-drawn until it is perfect on the known samples, maps
    each word to a slot, and the word stored in that slot must equal it: every shot is proven to
    be the known sample it is counted as. The few shots of samples not known yet are counted one
    by one, and their samples join the table (which so keeps first-seen order). Past
    ``_SPARSE_DISTINCT`` known samples, or for any sample that is not a short ASCII string, the
    table gives up.
    """

    def __init__(self, np: Any, tokens: list[Any]) -> None:
        self._np = np
        self._masks = np.array(_TOKEN_MASKS, dtype=np.uint64)
        self._index: dict[str, int] = {}
        self._words: list[int] = []
        self._ok = self._add(tokens) and self._rehash()

    def _add(self, tokens: Iterable[Any]) -> bool:
        for token in tokens:
            if token in self._index:
                continue
            if not (isinstance(token, str) and token.isascii() and len(token) < _TOKEN_BYTES):
                return False
            self._index[token] = len(self._words)
            self._words.append(int.from_bytes(("," + token).encode().rjust(8, b"\0"), "little"))
        return len(self._words) <= _SPARSE_DISTINCT

    def _rehash(self) -> bool:
        np = self._np
        words = np.array(self._words, dtype=np.uint64)
        # Twice the bits needed, less two: a small table (16 kB for 256 samples), and a perfect
        # hash found within about ten tries, each a multiplication and a set of 256 numbers.
        smallest = max(6, 2 * (len(self._words) - 1).bit_length() - 2)
        for bits in range(smallest, smallest + 4):
            for value in _MULTIPLIERS:
                multiplier = np.uint64(value)
                slots = (words * multiplier) >> np.uint64(64 - bits)
                if len(set(slots.tolist())) == slots.size:
                    self._multiplier = multiplier
                    self._shift = np.uint64(64 - bits)
                    self._table = np.zeros(1 << bits, dtype=np.uint64)
                    self._table[slots] = words
                    self._token_of_slot = np.zeros(1 << bits, dtype=np.uint16)
                    self._token_of_slot[slots] = np.arange(words.size, dtype=np.uint16)
                    return True
        return False

    def count(self, flat: Sequence[Any]) -> dict[str, int] | None:
        """``{sample: count}`` in first-seen order, or None if the samples do not suit."""
        if not self._ok:
            return None
        np = self._np
        try:
            text = ",".join(flat)
        except TypeError:  # a sample that is not a string
            return None
        if not text.isascii():
            return None
        piece_chars = min(_PIECE_CHARS, max(1 << 12, len(text) // 32))
        totals = [0] * len(self._words)
        shots = start = 0
        while start <= len(text):
            # A piece of whole samples, each closed by a ",", behind _TOKEN_BYTES of context
            # that ends with the "," before its first sample.
            stop = text.find(",", start + piece_chars) + 1 or len(text) + 1
            piece = text[start - _TOKEN_BYTES : stop] if start else _TOKEN_PAD + text[:stop]
            data = (piece if stop <= len(text) else piece + ",").encode()
            start = stop
            ends = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == ord(","))
            ends = ends[data.count(b",", 0, _TOKEN_BYTES) :]
            if shots + ends.size > len(flat):  # a sample holding a ","
                return None
            lengths = np.diff(ends, prepend=_TOKEN_BYTES - 1)  # each sample and its ","
            windows = np.ndarray((len(data) - 7,), dtype="<u8", buffer=data, strides=(1,))
            ends -= _TOKEN_BYTES
            words = windows[ends]
            del ends
            try:
                words &= self._masks[lengths]
            except IndexError:  # a sample longer than seven characters
                return None
            del lengths
            slots = words * self._multiplier
            slots >>= self._shift
            slots = slots.view(np.intp)
            known = self._table[slots] == words
            if known.all():
                ids = self._token_of_slot[slots]
            else:
                unknown = np.flatnonzero(~known)
                if unknown.size > _SPARSE_DISTINCT * 8:  # not a tail of rare samples
                    return None
                ids = self._token_of_slot[slots[known]]
                new = [flat[shots + i] for i in unknown.tolist()]
                if not self._add(new):
                    return None
                totals.extend([0] * (len(self._words) - len(totals)))
                for token in new:
                    totals[self._index[token]] += 1
                # Rare samples are cheaper counted one by one than hashed again.
                if unknown.size >= _REHASH_SHOTS and not self._rehash():
                    return None
            found = np.bincount(ids, minlength=len(totals)).tolist()
            totals = [a + b for a, b in zip(totals, found, strict=True)]
            shots += words.size
        if shots != len(flat):  # a sample holding a ","
            return None
        return {token: totals[i] for token, i in self._index.items() if totals[i]}


def _small_value_counts(np: Any, chunks: Iterable[Any]) -> dict[int, int]:
    """``{value: count}`` in first-seen order from chunks of ``uint16`` values: a 65,536-slot
    ``bincount`` per chunk; where a chunk brings values not seen before, only those shots are
    sorted, to learn where each first appears."""
    seen = np.zeros(1 << 16, dtype=np.int64)
    first = np.zeros(1 << 16, dtype=np.int64)
    offset = 0
    for values in chunks:
        counts = np.bincount(values, minlength=1 << 16)
        is_new = (counts > 0) & (seen == 0)
        if is_new.any():
            where = np.flatnonzero(is_new[values])
            distinct, index = np.unique(values[where], return_index=True)
            first[distinct] = offset + where[index]
        seen += counts
        offset += len(values)
    present = np.flatnonzero(seen)
    order = present[np.argsort(first[present], kind="stable")]
    return dict(zip(order.tolist(), seen[order].tolist(), strict=True))


class PackedShots:
    """Shots of one register in the Qiskit format: an ``(shots, bytes)`` ``uint8`` numpy array,
    each row the outcome's bits, big-endian (what ``qiskit.primitives.BitArray`` holds)."""

    __slots__ = ("_np", "_num_bits", "_rows")

    def __init__(self, np: Any, array: Any, num_bits: int) -> None:
        self._np = np
        self._rows = array.reshape(-1, array.shape[-1])  # every position's shots, in order
        self._num_bits = num_bits

    def __len__(self) -> int:
        return int(self._rows.shape[0])

    def _chunk_words(self) -> Iterator[Any]:
        """The rows, a chunk at a time, as ``(n, k)`` native ``uint64`` words, most significant
        first, bits beyond ``num_bits`` cleared (qiskit's own ``BitArray`` ignores them too)."""
        np = self._np
        rows = self._rows
        nbytes = rows.shape[1]
        width = max(1, -(-nbytes // 8)) * 8
        spare = 8 * nbytes - self._num_bits
        for start in range(0, rows.shape[0], _CHUNK_SHOTS):
            chunk = rows[start : start + _CHUNK_SHOTS]
            padded = np.zeros((chunk.shape[0], width), dtype=np.uint8)
            padded[:, width - nbytes :] = chunk
            if nbytes and spare > 0:
                padded[:, width - nbytes] &= 0xFF >> spare
            yield padded.view(">u8").astype(np.uint64)

    def _ints(self) -> Iterator[int]:
        """Each row as a Python int, a chunk at a time. Wider than 64 bits, a row's words are
        reversed into one little-endian ``bytes`` (whose trailing NULs, which numpy drops, are
        high zero bytes: harmless) and read by ``int.from_bytes``."""
        np = self._np
        for words in self._chunk_words():
            if words.shape[1] == 1:
                yield from words[:, 0].tolist()
                continue
            little = np.ascontiguousarray(words[:, ::-1]).astype("<u8")
            as_bytes = little.view(f"S{little.shape[1] * 8}")[:, 0].tolist()
            yield from map(int.from_bytes, as_bytes, repeat(_LITTLE))

    def _ids(self) -> tuple[list[int], Any] | None:
        """(the distinct values in first-seen order, each shot's index among them) when the
        distinct values are few; None when nearly every shot is distinct."""
        np = self._np
        if self._num_bits <= 16:  # at most 65,536 values: counted by table
            values = [words[:, 0].astype(np.uint16) for words in self._chunk_words()]
            distinct = list(_small_value_counts(np, values))
            index_of = np.zeros(1 << 16, dtype=np.intp)
            index_of[distinct] = np.arange(len(distinct))
            every = np.concatenate(values) if values else np.zeros(0, dtype=np.uint16)
            return distinct, index_of[every]
        # Wider: the distinct rows seen so far are the candidates, each row is hashed to one of
        # them (binary search over their sorted hashes), and the match is proven word by word.
        # Rows matching none join the candidates (in first-seen order), up to _SPARSE_DISTINCT.
        candidates = np.zeros((0, max(1, -(-self._rows.shape[1] // 8))), dtype=np.uint64)
        mix = np.arange(1, 2 * candidates.shape[1], 2, dtype=np.uint64) * np.uint64(0x9E3779B1)
        ids = []
        for words in self._chunk_words():
            while True:
                keys = (candidates * mix).sum(axis=1, dtype=np.uint64)
                by_key = np.argsort(keys)
                if np.unique(keys).size != keys.size:
                    return None
                if keys.size:
                    row_keys = (words * mix).sum(axis=1, dtype=np.uint64)
                    slot = np.searchsorted(keys[by_key], row_keys).clip(0, keys.size - 1)
                    chunk_ids = by_key[slot]
                    matched = (candidates[chunk_ids] == words).all(axis=1)
                    if matched.all():
                        break
                    missing = words[~matched]
                else:
                    missing = words
                new, first = np.unique(missing, axis=0, return_index=True)
                if len(candidates) + len(new) > _SPARSE_DISTINCT:
                    return None
                candidates = np.concatenate([candidates, new[np.argsort(first, kind="stable")]])
            ids.append(chunk_ids)
        values = []
        for row in candidates.tolist():
            value = 0
            for word in row:
                value = (value << 64) | word
            values.append(value)
        return values, np.concatenate(ids) if ids else np.zeros(0, dtype=np.intp)

    def few_int_counts(self) -> dict[int, int] | None:
        if self._num_bits <= 16:
            chunks = (words[:, 0].astype(self._np.uint16) for words in self._chunk_words())
            return _small_value_counts(self._np, chunks)
        found = self._ids()
        if found is None:
            return None
        values, ids = found
        counts = self._np.bincount(ids, minlength=len(values)).tolist()
        return {value: count for value, count in zip(values, counts, strict=True) if count}

    def int_counts(self) -> dict[int, int]:
        return tally(self._ints())

    def bitstring_counts(self, num_bits: int) -> dict[str, int]:
        return tally(map(f"{{:0{num_bits}b}}".format, self._ints()))

    def bitstrings(self, num_bits: int) -> list[str]:
        return self._per_shot(f"{{:0{num_bits}b}}".format)

    def ints(self) -> list[int]:
        return self._per_shot(int)

    def _per_shot(self, convert: Callable[[int], Any]) -> list[Any]:
        found = self._ids()
        if found is None:
            return list(map(convert, self._ints()))
        values, ids = found
        table = self._np.empty(max(1, len(values)), dtype=object)
        table[: len(values)] = [convert(value) for value in values]
        return table[ids].tolist()  # type: ignore[no-any-return]
