"""The pain.001 (SEPA Latin) character set: checking identifiers and transliterating free text.

EPC guidance restricts SEPA messages to `a-z A-Z 0-9 / - ? : ( ) . , ' +` and space. Identifiers
(payment_id -> EndToEndId) must already be in that set; names and remittance text are transliterated
(é -> e, ß -> ss, Ø -> O) and anything that has no Latin equivalent is reported, never dropped silently.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

SEPA_LATIN = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/-?:().,'+ ")
ID_RE = re.compile(r"[A-Za-z0-9/\-?:().,'+ ]+")
PLAIN_RE = re.compile(r"[A-Za-z0-9/\-?:().,'+ ]*")

# Letters that Unicode does not decompose into a base letter plus accents.
_SPECIAL = {
    "ß": "ss", "ẞ": "SS", "Æ": "AE", "æ": "ae", "Œ": "OE", "œ": "oe", "Ø": "O", "ø": "o",
    "Ł": "L", "ł": "l", "Đ": "D", "đ": "d", "Ð": "D", "ð": "d", "Þ": "TH", "þ": "th", "ı": "i",  # noqa: RUF001 (deliberate look-alikes)
    "&": "+", "’": "'", "‘": "'", "`": "'", "´": "'", "–": "-", "—": "-", "_": "-", "\"": "'",  # noqa: RUF001
    "@": "(at)", "#": "No.", "*": ".", ";": ",", "!": ".", "=": "-", "%": " ", "$": " ", "€": "EUR",
    "[": "(", "]": ")", "{": "(", "}": ")", "<": "(", ">": ")", "\\": "/", "|": "/", "~": "-",
    "\u00a0": " ",
}  # fmt: skip


def invalid_id_characters(value: str) -> str | None:
    """Why `value` is not a valid ISO 20022 identifier in SEPA Latin, or None when it is fine."""
    if ID_RE.fullmatch(value) is None:
        bad = sorted({ch for ch in value if ch not in SEPA_LATIN})
        return "contains characters outside the SEPA Latin set: " + " ".join(repr(ch) for ch in bad)
    if value.startswith("/") or value.endswith("/") or "//" in value:
        return "must not start or end with '/' or contain '//'"
    return None


def to_sepa_latin(text: str) -> tuple[str, str | None]:
    """(transliterated text, None) or (partial text, reason) when some characters have no equivalent.

    Text already in the set (the common case; remittance lines are often unique) takes a regex fast
    path; the rest goes through a cache, because names with accents repeat a lot in payroll files.
    """
    if PLAIN_RE.fullmatch(text):
        if "  " in text or text[:1] == " " or text[-1:] == " ":  # the set's only white space is " "
            return " ".join(text.split()), None
        return text, None
    return _transliterate(text)


@lru_cache(maxsize=16384)
def _transliterate(text: str) -> tuple[str, str | None]:
    out: list[str] = []
    bad: set[str] = set()
    for ch in text:
        if ch in SEPA_LATIN:
            out.append(ch)
        elif ch in _SPECIAL:
            out.append(_SPECIAL[ch])
        else:
            base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
            if base and all(c in SEPA_LATIN for c in base):
                out.append(base)
            else:
                bad.add(ch)
    result = " ".join("".join(out).split())  # also collapses the spaces a replacement may introduce
    if bad:
        shown = " ".join(repr(ch) if ch.isprintable() else f"U+{ord(ch):04X}" for ch in sorted(bad))
        return result, f"has characters with no SEPA Latin equivalent: {shown}"
    return result, None
