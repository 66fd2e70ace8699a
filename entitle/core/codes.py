"""Codes people type: voucher codes and Activation IDs.

20 characters from a 32-letter alphabet without the look-alikes 0, 1, I and O, in four groups
of five: 19 random characters (95 bits) and one check character. The check character makes the
weighted sum of the characters, taken in GF(32) with weights α⁰, α¹, …, zero. So a single
mistyped character, or two neighbours swapped, always breaks the check: a substitution changes
the sum by (a − b)·αⁱ ≠ 0, a swap by (a − b)·αⁱ·(1 + α) ≠ 0 — and a typo can be told apart
from a code that merely does not exist.
"""

import secrets

ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
assert len(ALPHABET) == 32  # generate() takes 5 random bits per letter
_VALUE = {c: i for i, c in enumerate(ALPHABET)}
GROUP = 5
LENGTH = 20
RANDOM_CHARS = LENGTH - 1
ENTROPY_BITS = RANDOM_CHARS * 5
_POLY = 0b100101  # x⁵ + x² + 1, primitive: α = x has order 31 > LENGTH


class CodeTypo(ValueError):
    """The text cannot be a code: wrong length, a letter codes never use, or a failed check."""


def _times_alpha(value: int) -> int:
    value <<= 1
    return value ^ _POLY if value & 0b100000 else value


def _gf_mul(a: int, b: int) -> int:
    product = 0
    while b:
        if b & 1:
            product ^= a
        a = _times_alpha(a)
        b >>= 1
    return product


_WEIGHTS = [1]
for _ in range(LENGTH - 1):
    _WEIGHTS.append(_times_alpha(_WEIGHTS[-1]))
_INVERSE_OF_LAST = next(x for x in range(1, 32) if _gf_mul(x, _WEIGHTS[-1]) == 1)
# value × weight for every position and letter, so that checking a code is table look-ups.
_TERM = [[_gf_mul(value, weight) for value in range(32)] for weight in _WEIGHTS]
# The same by letter: a product's every validation checks its key (`is_well_formed`).
_TERM_OF_LETTER = [{ch: terms[value] for ch, value in _VALUE.items()} for terms in _TERM]
_SEPARATORS = str.maketrans("", "", " -\t\n")
_TIMES_INVERSE = [_gf_mul(value, _INVERSE_OF_LAST) for value in range(32)]


def _weighted_sum(values: list[int]) -> int:
    total = 0
    for position, value in enumerate(values):
        total ^= _TERM[position][value]
    return total


def _check_value(values: list[int]) -> int:
    # Solve sum(data) + c·α¹⁹ = 0 for c (addition is XOR, so −x = x).
    return _TIMES_INVERSE[_weighted_sum(values)]


def group(compact: str) -> str:
    return "-".join(compact[i : i + GROUP] for i in range(0, len(compact), GROUP))


def with_check(body: str) -> str:
    """The grouped code made of `body` (19 alphabet letters) and its check character."""
    values = [_VALUE[ch] for ch in body]
    values.append(_check_value(values))
    return group("".join(ALPHABET[v] for v in values))


def generate() -> str:
    """A new random code, grouped: e.g. ``7KQ2M-XH4PA-9RTCW-EN3BZ``."""
    # 32 letters: each is 5 bits of one draw from the OS (one read, not one per letter; a
    # power of two, so every letter is equally likely).
    bits = secrets.randbits(5 * RANDOM_CHARS)
    return with_check("".join(ALPHABET[(bits >> 5 * i) & 31] for i in range(RANDOM_CHARS)))


def normalize(text: str) -> str:
    """The canonical grouped form of what someone typed, or CodeTypo.

    Case, spaces and dashes do not matter.
    """
    compact = (text or "").upper().translate(_SEPARATORS)
    if len(compact) != LENGTH:
        raise CodeTypo(text)
    total = 0
    try:
        for terms, ch in zip(_TERM_OF_LETTER, compact, strict=True):
            total ^= terms[ch]
    except KeyError:  # a letter codes never use
        raise CodeTypo(text) from None
    if total != 0:
        raise CodeTypo(text)
    return group(compact)


def is_well_formed(text: str) -> bool:
    """Is `text` a code in its canonical grouped form, check character included?"""
    try:
        return normalize(text) == text
    except CodeTypo:
        return False
