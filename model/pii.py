"""Mask personal data before a complaint is stored or shown."""

from __future__ import annotations

import re

_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
_NIK = re.compile(r"(?<!\d)\d{16}(?!\d)")
_PHONE = re.compile(r"(?<![\w])(?:\+?62|0)[\s.-]?8(?:[\s.-]?\d){7,11}(?!\d)")
_LONG_NUMBER = re.compile(r"(?<!\d)\d{10,}(?!\d)")
# A title of address followed by up to three capitalised words: "Bapak Joko
# Susilo", "Ibu Sri", "Sdr. Andi". Lower-case "bapak" alone stays (it often
# means "you" in a complaint addressed to an official).
_HONORIFIC_NAME = re.compile(
    r"\b(Bapak|Bpk\.?|Pak|Ibu|Bu|Sdr\.?|Sdri\.?|Saudara|Saudari|Mas|Mbak|Kak)\s+"
    r"((?:[A-Z][\w'.-]*)(?:\s+[A-Z][\w'.-]*){0,2})"
)
_SELF_NAME = re.compile(
    r"\b([Nn]ama\s+saya|[Ss]aya\s+bernama|[Aa]tas\s+nama)\s*:?\s+((?:[A-Z][\w'.-]*)(?:\s+[A-Z][\w'.-]*){0,2})"
)


def mask_pii(text: str) -> str:
    """Replace e-mail, NIK, phone numbers and names after a title by placeholders."""
    text = _EMAIL.sub("[EMAIL]", text)
    text = _NIK.sub("[NIK]", text)
    text = _PHONE.sub("[TELEPON]", text)
    text = _LONG_NUMBER.sub("[NOMOR]", text)
    text = _HONORIFIC_NAME.sub(lambda m: f"{m.group(1)} [NAMA]", text)
    return _SELF_NAME.sub(lambda m: f"{m.group(1)} [NAMA]", text)
