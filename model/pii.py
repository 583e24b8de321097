"""Mask personal data before a complaint is stored or shown."""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

from salur.model.text import _sastrawi_stemmer, load_replacements, stem_token

# Starts only where a run of address characters starts, and the possessive
# "++" never gives back: "\b[\w.+-]+@" rescanned "1.1.1.1…" from every dot
# (seconds for a 20,000-character complaint).
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]++@[\w-]+(?:\.[\w-]+)+\b")
# Sixteen or more digits, in any grouping with single separators: "3273 0112
# 3456 7890", "327301 120390 0001" (region, birth date, serial), "32.73.01.
# 120390.0001", "3204/0123/0485/0002"; a KK number is also sixteen digits. A
# run starts only where a digit chain starts, so a long chain is scanned once.
_NIK = re.compile(r"(?<!\d)(?<!\d[ ./-])\d(?:[ ./-]?\d){15,}(?![ ./-]?\d)")
# Mobile numbers with +62/62/0, separators and an optional bracketed prefix:
# "0812-3456-7890", "+62 812 3456 7890", "(0812) 34567890", "+62 (812) 3456-7890".
_PHONE = re.compile(r"(?<![\w])(?:\(?\+?62\)?[\s.-]?\(?|\(?0)8\d{1,3}\)?(?:[\s.-]?\d){6,10}(?!\d)")
# Landlines: an area code (0 or +62, then 2-4 digits not starting with 8,
# which is mobile) and a 5-8 digit subscriber number: "(022) 5678901",
# "022-87654321", "0274 512 345", "+62 21 5678 9012". RT/RW numbers ("003")
# have a 0 second digit and never match.
_LANDLINE = re.compile(
    r"(?<![\w])(?:\(?\+?62\)?[\s.-]?\(?|\(?0)[2-79]\d{1,2}\)?[\s.-]?\d(?:[\s.-]?\d){4,7}(?![\d])"
)
_LONG_NUMBER = re.compile(r"(?<!\d)\d{10,}(?!\d)")
# Words that start the next detail, or are an office rather than a name
# ("Pak Camat", "Bu Lurah", "Bapak Bupati"): never part of a name.
_NOT_A_NAME = (
    "nik|no|nomor|hp|wa|telp|telepon|alamat|warga|rt|rw|dan|dari|di|yang|ingin|mau|"
    "mohon|melaporkan|tinggal|umur|usia|selaku|sebagai|email|"
    "bupati|wakil|walikota|wali|gubernur|camat|lurah|kades|sekdes|kepala|ketua|"
    "kadis|kapolsek|kapolres|dokter|guru|direktur|menteri|presiden|dewan|dprd|"
    "satpol|polisi|petugas|admin|pimpinan|pejabat|yth|kota|kabupaten|desa|kelurahan|kecamatan|"
    "jalan|jl|gang|kampung|dusun|perumahan|"
    # Offices addressed like people ("Bapak/Ibu PDAM", "Ibu Dinas Sosial").
    "dinas|dishub|dlh|dinsos|dispendukcapil|disdik|dinkes|pdam|pln|bpjs|bpn|bpbd|sekda|"
    "pemkot|pemkab|pemda|pemprov|puskesmas|rsud|kantor|badan|bagian|bidang|unit|"
    "bidan|perawat|mantri|ustad|ustadz|pak|bu|bapak|ibu|sdr|saya|kami|beliau|dia|mereka|sendiri|"
    # Roles seen after "pak"/"bu" in the complaint data, often abbreviated; a name
    # may follow them (see _ROLE).
    "staf|staff|linmas|satpam|security|sopir|supir|kepsek|kabid|kasi|kadinas|dirut|walkot|"
    "wawalikota|erte|kadus|kasun|kaur|sekcam|kepling|kaling|geuchik|keuchik|bhabin|babinsa|"
    "bhabinkamtibmas|hansip|takmir|kyai|kiai|gub|wagub|kadinkes|kadisdik|kadishub|driver|ojol|"
    "plt|plh|pj|pjs|kapolda|dandim|danramil|"
    # Other words citizens put after "pak"/"bu" that are no names.
    "kemensos|mensos|dispenduk|disperkimtan|dukcapil|capil|bansos|pkh|pbb|ktp|e-ktp|ektp|kos|"
    "angkot|ojek|becak|taksi|truk|grab|gojek|ops|nya|plis|wkwk|ngapunten|http|https|www"
)
_NOT_A_NAME_WORDS = frozenset(_NOT_A_NAME.split("|"))
# Abbreviated titles and name parts written with a dot ("Ibu Hj. Siti Aminah",
# "Bapak Drs. Joko", "Pak Moch. Ridwan", "dr. Andi"): part of the name, where a
# sentence's full stop after an ordinary word is not.
_ABBREVIATION = r"(?:H|Hj|Dr|dr|Drs|Dra|Ir|Prof|KH|Moch|Moh|Muh|Mhd|Ust)\.\s*"
# A title of address as it precedes a name.
_TITLE = r"Bapak|Bpk\.?|Pak|Ibu|Ibuk|Bu|Sdr\.?|Sdri\.?|Saudara|Saudari|Mas|Mbak|Kak"
# Roles whose holder may be named after them ("Pak Satpam Budi", "Driver Ojol
# Santoso"); each is in _NOT_A_NAME too, so that alone it is no name.
_ROLE = (
    r"Staf|Staff|Linmas|Satpam|Security|Sopir|Supir|Kepsek|Kabid|Kasi|Kadinas|Dirut|Walkot"
    r"|Wawalikota|Kaur|Sekcam|Kepling|Kaling|Geuchik|Keuchik|Bhabin|Babinsa|Bhabinkamtibmas"
    r"|Hansip|Takmir|Kyai|Kiai|Gub|Wagub|Kadinkes|Kadisdik|Kadishub|Driver|Ojol|Plt|Plh|Pj|Pjs"
    r"|Kapolda|Kapolres|Kapolsek|Dandim|Danramil"
)
# Offices and roles whose holder is named after them ("Pak RT Darto", "Bu Bidan
# Sri", "Pak Plt Kabid Joko"): up to two.
_OFFICE = (
    r"(?:RT|RW|Lurah|Kades|Kadus|Sekdes|Kasun|Bidan|Perawat|Mantri|Dokter|Guru|Ustadz?|"
    + _ROLE
    + r")(?:\s+(?:"
    + _ROLE
    + r"))?"
)
# A title of address, in any case, followed by up to four capitalised words:
# "Bapak Joko Susilo", "Ibu Sri", "Sdr. Andi", "tolong pak Budi" (an initial
# keeps its dot, a sentence's full stop stays in the text). A title followed
# by a lower-case word stays: "bapak" alone often means "you" in a complaint
# addressed to an official.
# The holder of a neighbourhood office is a fellow citizen, not a public
# official: "Pak RT Darto", "Bu Lurah Sumiati", "Pak Kades Karto" hide the name
# and keep the office.
_HONORIFIC_NAME = re.compile(
    rf"\b((?i:{_TITLE})(?:\s+(?i:{_OFFICE}))?)\s+"
    rf"(?P<name>(?:{_ABBREVIATION})?(?:(?!(?i:{_NOT_A_NAME})\b)[A-Z](?:\.|[\w'-]*))"
    rf"(?:\s+(?:{_ABBREVIATION})?(?!(?i:{_NOT_A_NAME})\b)[A-Z](?:\.|[\w'-]*)){{0,3}})"
)
# After "nama saya" / "saya bernama" / "atas nama" / "nama:" / "pelapor:" the next words
# are a name whatever their case ("nama saya budi santoso", "NAMA SAYA BUDI",
# "Nama : Budi"), up to four, stopping at punctuation, digits or a word that
# starts the next detail. A bare "nama" needs its colon ("nama jalan" is not
# a name), and "atas namanya" is not "atas nama" + "nya".
_SELF_NAME = re.compile(
    r"\b((?i:nama\s+saya|saya\s+bernama|atas\s+nama"
    r"|(?:nama(?:\s+lengkap|\s+pelapor)?|pelapor)(?=\s*:)))"
    r"(?:\s*:\s*|\s+)"
    # A title or role before the name stays ("nama saya ibu sri wahyuni",
    # "atas nama Driver Ojol Santoso").
    rf"(?P<title>(?i:(?:{_TITLE})\s+)?(?i:(?:{_OFFICE})\s+)?)"
    rf"(?P<name>(?:{_ABBREVIATION})?(?:(?!(?i:{_NOT_A_NAME})\b)[A-Za-z](?:\.|[\w'-]*))"
    rf"(?:\s+(?:{_ABBREVIATION})?(?!(?i:{_NOT_A_NAME})\b)[A-Za-z](?:\.|[\w'-]*)){{0,3}})"
)


# A title of address, in any case, where lower-case words follow: "lapor ke
# pak joko tapi", "bu painah", "pak rt 05 slamet", "bu hj zubaidah". Which of
# those words are a name is decided word by word (:func:`_lower_case_name_words`),
# since "bapak" before a lower-case word is usually "you" ("mohon bapak segera").
_LOWER_CASE_LEAD = (
    r"(?:rt|rw)(?:\s*\d+)?|kepala\s+(?:desa|dusun)|haji|hajah|hj\.?|dr\.?|drs\.?|ir\.?|"
    rf"(?i:{_OFFICE})"
)
_LOWER_CASE_AFTER_TITLE = re.compile(rf"\b(?i:{_TITLE})(?:\s+(?i:{_LOWER_CASE_LEAD}))?\s+(?=[a-z])")
_LOWER_CASE_WORD = re.compile(r"[a-z][a-z'-]*(?![\w])")
# After a lower-case first name the rest may be capitalised: "pak joko Susilo".
_LATER_NAME_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*(?![\w])")
# Between the words of one lower-case name: spaces, or a Batak "br"/"boru"
# ("bu ani br sinaga").
_LOWER_CASE_JOINER = re.compile(r"[ \t]+(?:(?:br|boru)[ \t]+)?")
_LONGEST_LOWER_CASE_NAME = 4  # words
_SHORTEST_LOWER_CASE_NAME = 3
# Three or more of the same letter ("tolonggg") as the normaliser reads them.
_STRETCHED = re.compile(r"([a-z])\1{2,}")
# Colloquial verbs with a nasal prefix after a name ("pak umar ngebangun",
# "pak guru suparman mukul"): the root behind them.
_NASAL_PREFIX = (("nge", ""), ("ng", ""), ("ng", "k"), ("ny", "s"), ("m", "p"))


def mask_pii(text: str) -> str:
    """Replace e-mail, NIK, phone numbers, long numbers and names by placeholders.

    Names are found after a title of address (capitalised, or in lower case
    where the word is a given name or no word at all) and after "nama saya"
    and its variants (any case); a name written with neither stays, except
    where it repeats one found so.
    """
    return mask_pii_fields(text)[0] or ""


def mask_pii_fields(*fields: str | None) -> list[str | None]:
    """:func:`mask_pii` over fields of one complaint (title, text) read as one.

    A name introduced in the text ("nama saya Budi Santoso") is masked in the
    title too, and the other way round.
    """
    numbers_masked = [None if field is None else _mask_numbers(field) for field in fields]
    names = [name for field in numbers_masked if field for name in personal_words(field)]
    masked: list[str | None] = []
    for field in numbers_masked:
        if field is None:
            masked.append(None)
            continue
        field = _HONORIFIC_NAME.sub(lambda m: f"{m.group(1)} [NAMA]", field)
        field = _SELF_NAME.sub(lambda m: f"{m.group(1)} {m.group('title')}[NAMA]", field)
        field = _replaced(field, _lower_case_name_spans(field))
        masked.append(_mask_repeats(field, names))
    return masked


def _mask_numbers(text: str) -> str:
    text = _EMAIL.sub("[EMAIL]", text)
    text = _NIK.sub("[NIK]", text)
    text = _PHONE.sub("[TELEPON]", text)
    text = _LANDLINE.sub("[TELEPON]", text)
    return _LONG_NUMBER.sub("[NOMOR]", text)


_WORD = re.compile(r"\w+")
# Between the words of one name: spaces, an initial's dot, a hyphen or apostrophe.
_NAME_JOINER = re.compile(r"[\s.'-]+")
_LONGEST_NAME = 6  # words; four name words, each possibly after an abbreviated title


def _name_parts(name: str) -> list[str]:
    return _WORD.findall(name)


def _mask_repeats(text: str, names: list[str]) -> str:
    """Mask the names found once wherever else they appear.

    A complaint that introduces "Budi Santoso" often signs off with it, or
    says "Joko" again later, without a title or "nama saya" in front. The
    whole name is masked in any case (also as "M. Rizki" or "Abdul-Rahman");
    a single word of it (three letters or more) where it is written as a name
    is (capitalised or in capitals), and in lower case only where it is no
    word at all ("joko"), so that a name that is also a word ("indah") keeps
    its other uses. One pass over the words with
    set lookups: a text listing thousands of different names costs no more
    than one naming a single person.
    """
    phrases = {
        tuple(part.lower() for part in parts) for parts in map(_name_parts, names) if len(parts) > 1
    }
    ordinary, given_names = _ordinary_words() if names else (frozenset(), frozenset())
    single = {
        form
        for name in names
        for part in _name_parts(name)
        if len(part) >= 3
        for form in (part.capitalize(), part.upper())
    } | {
        # A name written in lower case that is no word at all ("pak joko",
        # "bu painah") is masked again in lower case. A capitalised find is not
        # repeated so: it may be an office or a place ("Bapak PUPR", "Bapak
        # Kapolda Jatim"), whose lower-case word elsewhere must stay.
        lower
        for name in names
        if name == name.lower()
        for part in _name_parts(name)
        if len(lower := part.lower()) >= 3
        and lower not in given_names
        and not _is_word(lower, ordinary)
    }
    if not phrases and not single:
        return text
    tokens = [
        match
        for match in _WORD.finditer(text)
        # The placeholders themselves ("[NAMA]") are not words of the text.
        if not (match.start() > 0 and text[match.start() - 1] == "[")
    ]
    spans = []
    index = 0
    while index < len(tokens):
        taken = 0
        for length in range(min(_LONGEST_NAME, len(tokens) - index), 1, -1):
            run = tokens[index : index + length]
            joined = all(
                _NAME_JOINER.fullmatch(text[a.end() : b.start()])
                for a, b in zip(run, run[1:], strict=False)
            )
            if joined and tuple(t.group().lower() for t in run) in phrases:
                taken = length
                break
        if taken:
            spans.append((tokens[index].start(), tokens[index + taken - 1].end()))
            index += taken
            continue
        if tokens[index].group() in single:
            spans.append(tokens[index].span())
        index += 1
    return _replaced(text, spans)


@lru_cache(maxsize=1)
def _ordinary_words() -> tuple[frozenset[str], frozenset[str]]:
    """Words that are not names (roots, slang, offices) and names that are also words."""
    lexicons = resources.files("salur.model") / "data" / "lexicons"
    given_names = frozenset(
        line.strip()
        for line in (lexicons / "given_names.txt").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    )
    replacements = load_replacements()
    words = (
        frozenset(_sastrawi_stemmer().dictionary.words)
        | frozenset(replacements)
        | frozenset(replacements.values())
        | _NOT_A_NAME_WORDS
    )
    return words - given_names, given_names


def _is_ordinary(word: str, ordinary: frozenset[str], after_a_name: bool) -> bool:
    """Whether ``word`` is a word, slang or an office rather than a name."""
    forms = {word, _STRETCHED.sub(r"\1", word)}
    forms |= {form.removesuffix("nya").rstrip("-") for form in forms if len(form) > 4}
    if after_a_name:
        # Only after a name: Javanese names start with these too ("ngatini").
        forms |= {
            replacement + form[len(prefix) :]
            for form in list(forms)
            for prefix, replacement in _NASAL_PREFIX
            if form.startswith(prefix) and len(form) - len(prefix) >= 3
        }
    return any(_is_word(form, ordinary) for form in forms)


def _is_word(form: str, ordinary: frozenset[str]) -> bool:
    """Whether ``form`` or its Sastrawi stem is one of the ``ordinary`` words."""
    return form in ordinary or stem_token(form) in ordinary


def _lower_case_name_words(words: list[str]) -> int:
    """How many of the words after a title are a name: given names and non-words.

    A lower-case word after "pak"/"bu" is a name when it is a known given name
    ("budi", "sri") or no Indonesian word, slang or office at all ("painah",
    "joko"). A misspelled word is then masked too ("pak mhon"): a word lost to
    the reviewer, where the other error would publish a name.
    """
    ordinary, given_names = _ordinary_words()
    taken = 0
    for word in words:
        bare = word.strip("'-")
        if bare in given_names or (
            len(bare) >= _SHORTEST_LOWER_CASE_NAME
            and not _is_ordinary(bare, ordinary, after_a_name=taken > 0)
        ):
            taken += 1
        else:
            break
    return taken


def _lower_case_name_spans(text: str) -> list[tuple[int, int]]:
    """Where lower-case names after a title are, in order.

    Scanning goes on right after each name (or title) so that the next title
    is looked at too: "pak aceng dan pak encep".
    """
    spans: list[tuple[int, int]] = []
    position = 0
    while match := _LOWER_CASE_AFTER_TITLE.search(text, position):
        words: list[re.Match[str]] = []
        cursor = match.end()
        while len(words) < _LONGEST_LOWER_CASE_NAME:
            word = (_LATER_NAME_WORD if words else _LOWER_CASE_WORD).match(text, cursor)
            if word is None:
                break
            words.append(word)
            joiner = _LOWER_CASE_JOINER.match(text, word.end())
            if joiner is None:
                break
            cursor = joiner.end()
        taken = _lower_case_name_words([word.group().lower() for word in words])
        if taken:
            last = words[taken - 1]
            # "pak joko-" keeps its dash, as "pak joko," keeps its comma.
            end = last.start() + len(last.group().rstrip("'-"))
            spans.append((words[0].start(), end))
            position = end
        else:
            position = match.end()
    return spans


def _replaced(text: str, spans: list[tuple[int, int]]) -> str:
    """``text`` with each span replaced by "[NAMA]", everything between kept as it was."""
    if not spans:
        return text
    pieces: list[str] = []
    last = 0
    for start, end in spans:
        pieces.extend((text[last:start], "[NAMA]"))
        last = end
    pieces.append(text[last:])
    return "".join(pieces)


def personal_words(text: str) -> list[str]:
    """The names :func:`mask_pii` would hide, as written.

    Explanations are built from the model's features of the raw text, so a
    name that the stored text shows as "[NAMA]" would otherwise reappear
    there as a "deciding word".
    """
    found: list[str] = []
    for pattern in (_HONORIFIC_NAME, _SELF_NAME):
        found.extend(match.group("name") for match in pattern.finditer(text))
    found.extend(text[start:end] for start, end in _lower_case_name_spans(text))
    return found
