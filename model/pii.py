"""Mask personal data before a complaint is stored or shown."""

from __future__ import annotations

import re

_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
# Sixteen digits, also written in groups: "3273 0112 3456 7890", "3273.0112...".
_NIK = re.compile(r"(?<!\d)\d{4}([ .-]?)\d{4}\1\d{4}\1\d{4}(?!\d)")
# Mobile numbers with +62/62/0, separators and an optional bracketed prefix:
# "0812-3456-7890", "+62 812 3456 7890", "(0812) 34567890".
_PHONE = re.compile(r"(?<![\w])\(?(?:\+?62|0)[\s.-]?8\d{1,3}\)?(?:[\s.-]?\d){6,10}(?!\d)")
_LONG_NUMBER = re.compile(r"(?<!\d)\d{10,}(?!\d)")
# Words that start the next detail, never part of a name.
_NOT_A_NAME = (
    "nik|no|nomor|hp|wa|telp|telepon|alamat|warga|rt|rw|dan|dari|di|yang|ingin|mau|"
    "mohon|melaporkan|tinggal|umur|usia|selaku|sebagai|email"
)
# A title of address followed by up to three capitalised words: "Bapak Joko
# Susilo", "Ibu Sri", "Sdr. Andi" (an initial keeps its dot, a sentence's
# full stop stays in the text). Lower-case "bapak" alone stays (it often
# means "you" in a complaint addressed to an official).
_HONORIFIC_NAME = re.compile(
    r"\b(Bapak|Bpk\.?|Pak|Ibu|Bu|Sdr\.?|Sdri\.?|Saudara|Saudari|Mas|Mbak|Kak)\s+"
    rf"((?:(?!(?i:{_NOT_A_NAME})\b)[A-Z](?:\.|[\w'-]*))"
    rf"(?:\s+(?!(?i:{_NOT_A_NAME})\b)[A-Z](?:\.|[\w'-]*)){{0,2}})"
)
# After "nama saya" / "saya bernama" / "atas nama" the next words are a name
# whatever their case ("nama saya budi santoso", "NAMA SAYA BUDI"), up to three,
# stopping at punctuation, digits or a word that starts the next detail.
_SELF_NAME = re.compile(
    r"\b((?i:nama\s+saya|saya\s+bernama|atas\s+nama))\s*:?\s+"
    rf"((?:(?!(?i:{_NOT_A_NAME})\b)[A-Za-z](?:\.|[\w'-]*))"
    rf"(?:\s+(?!(?i:{_NOT_A_NAME})\b)[A-Za-z](?:\.|[\w'-]*)){{0,2}})"
)


def mask_pii(text: str) -> str:
    """Replace e-mail, NIK, phone numbers, long numbers and names by placeholders.

    Names are found after a title of address (capitalised) and after "nama
    saya" and its variants (any case); a name written with neither stays.
    """
    text = _EMAIL.sub("[EMAIL]", text)
    text = _NIK.sub("[NIK]", text)
    text = _PHONE.sub("[TELEPON]", text)
    text = _LONG_NUMBER.sub("[NOMOR]", text)
    text = _HONORIFIC_NAME.sub(lambda m: f"{m.group(1)} [NAMA]", text)
    return _SELF_NAME.sub(lambda m: f"{m.group(1)} [NAMA]", text)
