"""Indonesian text normalisation and stemming as scikit-learn transformers.

Both steps take an iterable of strings and return a list of strings, so they
sit in front of the vectorisers inside one fitted pipeline: what training fits
is exactly what serving runs.
"""

from __future__ import annotations

import csv
import html
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from sklearn.base import BaseEstimator, TransformerMixin

# Placeholders that the upstream anonymiser (and our own PII masker) leave in
# the text; they become stable tokens so "[TELEPON]" does not dissolve into
# the word "telepon".
_PLACEHOLDER = re.compile(r"\[(telepon|nik|email|nama|url)\]", re.IGNORECASE)
_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
# Line breaks that an export wrote as the two characters "\n" (a third of the
# Surabaya texts): left alone they glue an "n" onto the next word ("nmohon").
_ESCAPED_BREAK = re.compile(r"\\[nrt]")
# Web intake and some exports carry HTML: "<br>", "<p>", "&nbsp;", "&quot;".
# (No training text has any, so reading them away changes nothing learned.)
_HTML_TAG = re.compile(r"<[A-Za-z/!][^>]{0,200}>")
_HTML_ENTITY = re.compile(r"&(?:[A-Za-z]+|#\d+|#x[0-9A-Fa-f]+);")
# Exports that drop line breaks outright glue the last word of one line onto
# the first of the next ("Kabupaten BandungMohon", "terimakasihDengan"): a
# quarter of the Kab. Bandung SP4N-LAPOR! texts. A capital right after two
# lowercase letters starts a new word; one lowercase letter before it does not
# ("eKTP", "McD").
_GLUED_LINE = re.compile(r"(?<=[a-z]{2})(?=[A-Z])")
# Patterns that scan runs of word characters start only where such a run
# starts and never give back what a possessive quantifier took: with a plain
# "\b[\w.+-]+@" every dot in "1.1.1.1…" is a new start that rescans the rest,
# and a 20,000-character complaint took seconds (quadratic backtracking).
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]++@[\w-]+\.[\w.-]+\b")
_PHONE = re.compile(r"(?<!\d)(?:\+62|62|0)8\d{7,11}(?!\d)")
_NIK = re.compile(r"(?<!\d)\d{16}(?!\d)")
_NUMBER = re.compile(r"\d+")
# "lain2", "sehari2": Indonesian writes reduplication with a trailing 2.
_REDUP = re.compile(r"\b([a-z]{2,})2\b")
# Three or more of the same letter ("rusakkk", "tolonggg") collapse to one.
_ELONGATION = re.compile(r"([a-z])\1{2,}")
_NON_WORD = re.compile(r"[^a-z\s]+")


def _lexicon_path(name: str) -> Path:
    return Path(str(resources.files("salur.model") / "data" / "lexicons" / name))


def load_replacements(
    slang_path: str | None = None, dialect_path: str | None = None
) -> dict[str, str]:
    """Token → replacement table; dialect entries win over generic slang."""
    table: dict[str, str] = {}
    slang_file = Path(slang_path) if slang_path else _lexicon_path("slang.csv")
    dialect_file = Path(dialect_path) if dialect_path else _lexicon_path("dialect.csv")
    with slang_file.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            table[row["slang"].strip().lower()] = row["formal"].strip().lower()
    with dialect_file.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            table[row["informal"].strip().lower()] = row["formal"].strip().lower()
    return table


def load_stem_overrides(path: str | None = None) -> dict[str, str]:
    """Word → stem for words Sastrawi stems into a root of another meaning."""
    overrides_file = Path(path) if path else _lexicon_path("stem_overrides.csv")
    with overrides_file.open(encoding="utf-8", newline="") as handle:
        table = {
            (row["word"] or "").strip().lower(): (row["stem"] or "").strip().lower()
            for row in csv.DictReader(handle)
        }
    blank = sorted(word for word, stem in table.items() if not word or not stem)
    if blank:
        # An empty stem would silently delete the word from every document.
        raise ValueError(f"{overrides_file}: rows without a word or a stem: {blank}")
    return table


def separate_lines(text: str) -> str:
    """Undo what exports do to line breaks: escaped "\\n", HTML, lines glued together."""
    text = _ESCAPED_BREAK.sub(" ", text)
    if _HTML_ENTITY.search(text):
        text = html.unescape(text)
    text = _HTML_TAG.sub(" ", text)
    return _GLUED_LINE.sub(" ", text)


def basic_clean(text: str) -> str:
    """Lowercase, fold Unicode, and replace URLs, PII and numbers by tokens."""
    text = separate_lines(text)
    text = unicodedata.normalize("NFKC", text).lower()
    text = _PLACEHOLDER.sub(lambda match: f" x{match.group(1).lower()} ", text)
    text = _URL.sub(" xurl ", text)
    text = _EMAIL.sub(" xemail ", text)
    text = _PHONE.sub(" xtelepon ", text)
    text = _NIK.sub(" xnik ", text)
    text = _REDUP.sub(r"\1 \1", text)
    text = _NUMBER.sub(" ", text)
    text = _ELONGATION.sub(r"\1", text)
    return _NON_WORD.sub(" ", text)


class IndonesianNormalizer(TransformerMixin, BaseEstimator):
    """Clean informal Indonesian text and map slang/dialect tokens to formal words.

    The replacement table is read at ``fit`` time and kept in ``replacements_``
    so that a saved model carries its own lexicon.
    """

    def __init__(
        self,
        use_lexicon: bool = True,
        slang_path: str | None = None,
        dialect_path: str | None = None,
    ) -> None:
        self.use_lexicon = use_lexicon
        self.slang_path = slang_path
        self.dialect_path = dialect_path

    def fit(self, X: Iterable[str], y: Any = None) -> IndonesianNormalizer:
        self.replacements_ = (
            load_replacements(self.slang_path, self.dialect_path) if self.use_lexicon else {}
        )
        return self

    def normalize(self, text: str) -> str:
        replacements = self.replacements_
        tokens = []
        for token in basic_clean(text).split():
            replaced = replacements.get(token, token)
            if replaced:
                tokens.append(replaced)
        return " ".join(tokens)

    def transform(self, X: Iterable[str]) -> list[str]:
        return [self.normalize(str(text)) for text in X]


@lru_cache(maxsize=1)
def _sastrawi_stemmer() -> Any:
    # The dictionary load takes ~0.5 s, so it is built once per process and
    # never stored inside the estimator (it must not end up in the artifact).
    from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

    stemmer = StemmerFactory().create_stemmer().delegatedStemmer
    # Sastrawi 1.0.1 keeps its ~30k root words in a list, so every dictionary
    # lookup is a linear scan (~50 ms per word); a set makes it O(1) and
    # changes no result.
    stemmer.dictionary.words = frozenset(stemmer.dictionary.words)
    return stemmer


@lru_cache(maxsize=200_000)
def stem_token(token: str) -> str:
    """Sastrawi stem of one token, memoised per process."""
    return str(_sastrawi_stemmer().stem(token))


class SastrawiStemmer(TransformerMixin, BaseEstimator):
    """Sastrawi stemming with a per-token memo.

    Sastrawi costs up to a millisecond per word, and complaint vocabularies are
    small, so stems are looked up per distinct token: first in ``stems_`` (the
    training vocabulary, stemmed once at fit and saved with the model) and then
    in a bounded per-process cache. ``memo=False`` stems every token afresh and
    exists only to measure what the memo buys.

    ``stems_`` keeps only tokens found in at least ``memo_min_df`` training
    documents: a word written once is most often a name or a typo, and the
    model folder is shared beyond the desk that holds the complaints. Leaving
    such a word out changes no stem, only where it is looked up.

    A few words Sastrawi cuts down to an unrelated root (meninggal → tinggal,
    kekerasan → keras, berikan → ikan) take their stem from the override table
    instead; like the lexicons, it is read at ``fit`` and saved with the model.
    """

    def __init__(
        self,
        memo: bool = True,
        min_token_length: int = 3,
        use_overrides: bool = True,
        overrides_path: str | None = None,
        memo_min_df: int = 2,
    ) -> None:
        self.memo = memo
        self.min_token_length = min_token_length
        self.use_overrides = use_overrides
        self.overrides_path = overrides_path
        self.memo_min_df = memo_min_df

    def __setstate__(self, state: dict[str, Any]) -> None:
        # Model folders saved before the override table lack its parameters;
        # without them get_params (and so repr and clone) would fail on them.
        state.setdefault("use_overrides", False)
        state.setdefault("overrides_path", None)
        # Older folders kept every training token in stems_.
        state.setdefault("memo_min_df", 1)
        if "stems_" in state:
            state.setdefault("overrides_", {})
        super().__setstate__(state)

    def fit(self, X: Iterable[str], y: Any = None) -> SastrawiStemmer:
        self.overrides_ = load_stem_overrides(self.overrides_path) if self.use_overrides else {}
        document_frequency = Counter(token for text in X for token in set(str(text).split()))
        self.stems_ = {
            token: self._stem_uncached(token)
            for token, count in sorted(document_frequency.items())
            if count >= self.memo_min_df
        }
        return self

    def _without_sastrawi(self, token: str) -> str | None:
        """The stem of a word Sastrawi is not asked about (overridden or too short), or None."""
        override = self.overrides_.get(token)
        if override is not None:
            return override
        return token if len(token) < self.min_token_length else None

    def _stem_uncached(self, token: str) -> str:
        return self._without_sastrawi(token) or str(_sastrawi_stemmer().stem(token)) or token

    def _stem(self, token: str) -> str:
        known = self.stems_.get(token)
        if known is not None:
            return known
        return self._without_sastrawi(token) or stem_token(token) or token

    def transform(self, X: Iterable[str]) -> list[str]:
        stem = self._stem if self.memo else self._stem_uncached
        return [" ".join(stem(token) for token in str(text).split()) for text in X]


def compose_document(title: str | None, text: str | None) -> str:
    """The single string the model reads: title first, then the body."""
    title = (title or "").strip()
    text = (text or "").strip()
    return f"{title}. {text}" if title else text


# The tokens basic_clean leaves for masked or removed content: a text made only
# of these ("[TELEPON]", a bare link) says nothing a classifier could route.
PLACEHOLDER_TOKENS = frozenset({"xtelepon", "xnik", "xemail", "xnama", "xurl"})
# Any upper-case mask in brackets ("[NOMOR]" from salur's own masker, and
# whatever an upstream anonymiser writes) and links written without a scheme
# ("bit.ly/abc", "wa.me/62812...").
_MASK = re.compile(r"\[[A-Z_]{2,}\]")
_BARE_LINK = re.compile(r"(?<![\w.-])[\w-]++(?:\.[\w-]++)++/\S*")


def readable_word_count(text: str) -> int:
    """Words of two or more letters left after cleaning, masks and links not counted.

    0 for binary junk, digits, punctuation, or only a masked phone number or link.
    """
    text = _BARE_LINK.sub(" ", _URL.sub(" ", _MASK.sub(" ", text)))
    return sum(
        1
        for token in basic_clean(text).split()
        if len(token) >= 2 and token not in PLACEHOLDER_TOKENS
    )
