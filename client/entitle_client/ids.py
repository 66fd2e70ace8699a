"""The identifiers a product sends, normalised exactly as the server normalises them.

The server imports these functions, so both sides agree by construction: what the product sends
is what the server looks up, signs and echoes back.
"""

from __future__ import annotations

ACTIVATION_ID_MAX_LENGTH = 64
HOST_ID_MAX_LENGTH = 128
_GROUP = 5
_SEPARATORS = str.maketrans("", "", " -\t\r\n")


def normalize_activation_id(text: str) -> str:
    """Upper case, without spaces, tabs, line breaks and dashes, regrouped in fives with `-`.

    `" 7kq2m xh4pa-9rtcw en3bz"` → `"7KQ2M-XH4PA-9RTCW-EN3BZ"`. Whether the result is a
    well-formed key (alphabet, length, check character) is the server's question: a malformed
    key is answered exactly as an unknown one (`NOT_FOUND`).
    """
    compact = text.upper().translate(_SEPARATORS)
    return "-".join(compact[i : i + _GROUP] for i in range(0, len(compact), _GROUP))


def normalize_host_id(text: str) -> str:
    """Without the white space around it, upper case: `" node-1a "` → `"NODE-1A"`."""
    return text.strip().upper()
