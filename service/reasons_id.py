"""Decision reasons in Indonesian for the admin page.

The model writes its reasons in English (they are also the API's, read by
intake systems and logs); admins read the page in Indonesian. Each known
reason form is matched and reworded; an unknown one is shown as written, so a
new reason is never hidden, only untranslated.
"""

from __future__ import annotations

import re
from collections.abc import Callable

_FORMS: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    (
        re.compile(r"^(\w+) confidence ([\d.]+) below threshold ([\d.]+)$"),
        lambda m: f"keyakinan {m[1]} {m[2]} di bawah ambang {m[3]}",
    ),
    (
        re.compile(r"^(\w+): review-only here \(threshold ([\d.]+):.*; confidence ([\d.]+)$"),
        lambda m: (
            f"{m[1]}: di wilayah ini semua aduan ditinjau (ambang {m[2]}: belum ada ambang "
            f"yang teruji untuk wilayah ini, atau sengaja diatur begitu); keyakinan {m[3]}"
        ),
    ),
    (
        re.compile(r"^(\w+): no prediction$"),
        lambda m: f"{m[1]}: tidak ada prediksi",
    ),
    (
        re.compile(r"^region has no OPD for agency '([^']*)'$"),
        lambda m: f"wilayah ini tidak punya OPD untuk {m[1]!r}",
    ),
    (
        re.compile(
            r"^possible emergency: urgency '([^']*)' was chosen, but darurat has probability "
            r"([\d.]+) \(alert level ([\d.]+)\); check the urgency first$"
        ),
        lambda m: (
            f"kemungkinan darurat: model memilih urgensi {m[1]!r}, tetapi peluang darurat "
            f"{m[2]} (batas peringatan {m[3]}); periksa urgensinya dulu"
        ),
    ),
    (
        re.compile(r"^category (\w+): .*$"),
        lambda m: (
            f"kategori {m[1]} biasanya bukan tugas OPD daerah (mis. PLN, Pertamina) dan "
            "model belum pernah melihat OPD-nya; pilih ke mana aduan diteruskan"
        ),
    ),
]


def indonesian_reason(reason: str) -> str:
    for pattern, reword in _FORMS:
        match = pattern.match(reason)
        if match:
            return reword(match)
    return reason
