"""The search query language (words ANDed, "quoted phrases", a prefix last word) and
the highlighting of what a query matched, on escaped text."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from traction.core.text import require_length

MAX_QUERY_CHARS = 200
MAX_TERMS = 12

# What a word is, for us and for both engines' tokenizers: letters and digits.
_WORD = re.compile(r"[^\W_]+")


# --- the query language -----------------------------------------------------------------------


def fold(word: str) -> str:
    """Case- and accent-insensitive form of a word (as FTS5's remove_diacritics sees it)."""
    if word.isascii():
        return word.lower()
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


@dataclass(frozen=True)
class Term:
    """One word or one quoted phrase; ``prefix``: its last word matches as a prefix."""

    words: tuple[str, ...]
    prefix: bool = False

    @property
    def is_phrase(self) -> bool:
        return len(self.words) > 1


@dataclass(frozen=True)
class Query:
    """A parsed search: its terms (ANDed), and how many words were left out."""

    text: str = ""
    terms: tuple[Term, ...] = ()
    dropped: int = 0

    def __bool__(self) -> bool:
        return bool(self.terms)

    def fts5(self) -> str:
        """An FTS5 MATCH expression. Words hold only letters and digits, and are quoted."""
        parts = []
        for term in self.terms:
            quoted = '"' + " ".join(term.words) + '"'
            parts.append(quoted + ("*" if term.prefix else ""))
        return " ".join(parts)

    def tsquery(self) -> str:
        """A PostgreSQL to_tsquery expression, built from quoted words only."""
        parts = []
        for term in self.terms:
            lexemes = [f"'{w}'" for w in term.words]
            if term.prefix:
                lexemes[-1] += ":*"
            parts.append("(" + " <-> ".join(lexemes) + ")" if term.is_phrase else lexemes[0])
        return " & ".join(parts)


@lru_cache(maxsize=1024)
def parse(text: str) -> Query:
    """Words, "quoted phrases" and a prefix last word; everything else is ignored.

    Cached: a Query is immutable, and live search asks for the same text again and again.

    Raises ValidationFailed (field ``q``) for queries longer than MAX_QUERY_CHARS.
    """
    require_length("q", text, MAX_QUERY_CHARS)
    text = unicodedata.normalize("NFC", text)
    terms: list[Term] = []
    seen: set[tuple[str, ...]] = set()
    words_total = 0
    # Even pieces are outside quotes, odd pieces inside; an unclosed quote runs to the end.
    pieces = text.split('"')
    for n, piece in enumerate(pieces):
        words = [w.lower() for w in _WORD.findall(piece)]
        if not words:
            continue
        words_total += len(words)
        candidates = [tuple(words)] if n % 2 else [(w,) for w in words]
        for words_of_term in candidates:
            if words_of_term not in seen:
                seen.add(words_of_term)
                terms.append(Term(words=words_of_term))
    kept = terms[:MAX_TERMS]
    kept_words = sum(len(t.words) for t in kept)
    if (
        kept
        and kept[-1] is terms[-1]
        and _typing_last_word(text, len(pieces))
        and len(kept[-1].words[-1]) >= 2
    ):
        kept[-1] = Term(words=kept[-1].words, prefix=True)
    return Query(text=text, terms=tuple(kept), dropped=max(0, words_total - kept_words))


def _typing_last_word(text: str, pieces: int) -> bool:
    # The last word is still being typed when nothing follows it: no space, no closing quote.
    return bool(text) and not text[-1].isspace() and (text[-1] != '"' or pieces % 2 == 0)


# --- highlighting -----------------------------------------------------------------------------


def highlight(text: str, query: Query) -> SafeString:
    """``text`` HTML-escaped, with each word the query matched wrapped in ``<mark>``.

    Built on escaped pieces (never on the engine's markup), so insight text shows as text.
    """
    exact: set[str] = set()
    prefixes: list[str] = []
    for term in query.terms:
        for n, word in enumerate(term.words):
            if term.prefix and n == len(term.words) - 1:
                prefixes.append(fold(word))
            else:
                exact.add(fold(word))
    if not exact and not prefixes:
        return escape(text)
    out: list[str] = []
    pos = 0
    for match in _WORD.finditer(text):
        word = fold(match.group())
        if word in exact or any(word.startswith(p) for p in prefixes):
            out.append(escape(text[pos : match.start()]))
            out.append(f"<mark>{escape(match.group())}</mark>")
            pos = match.end()
    out.append(escape(text[pos:]))
    return mark_safe("".join(out))  # noqa: S308 -- every piece is escaped above
