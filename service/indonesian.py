"""Decision reasons and error messages in Indonesian for the admin page.

The model writes its reasons, and the review code its errors, in English
(they are also the API's, read by intake systems and logs); admins read the
page in Indonesian. Each known form is matched and reworded; an unknown one
is shown as written, so a new message is never hidden, only untranslated.
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
            f"yang teruji untuk wilayah ini atau untuk aduan tanpa wilayah, atau sengaja "
            f"diatur begitu); keyakinan {m[3]}"
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


_ERRORS: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    (re.compile(r"^no complaint (\d+)$"), lambda m: f"aduan {m[1]} tidak ada"),
    (
        re.compile(r"^invalid or missing CSRF token"),
        lambda m: "formulir sudah kedaluwarsa atau tidak sah; muat ulang halaman lalu coba lagi",
    ),
    (
        re.compile(
            r"^complaint (\d+) was already reviewed \((\w+)\) by (.*) at (.*); "
            r"reload it to see the decision$"
        ),
        lambda m: (
            f"aduan {m[1]} sudah ditinjau ({m[2]}) oleh {m[3]} pada {m[4]}; "
            "muat ulang untuk melihat keputusannya"
        ),
    ),
    (
        re.compile(r"^nothing changed"),
        lambda m: "tidak ada yang diubah: pilih Terima prediksi, atau ubah setidaknya satu label",
    ),
    (
        re.compile(r"^you changed (.*): save it as a correction"),
        lambda m: (
            f"Anda mengubah {m[1]}: simpan sebagai koreksi, atau kembalikan pilihan model "
            "untuk menerimanya"
        ),
    ),
    (
        re.compile(r"^region (\S+) has no OPD for agency '([^']*)'"),
        lambda m: (
            f"wilayah {m[1]} tidak punya OPD untuk {m[2]!r}: pilih OPD yang bertanggung "
            "jawab lalu simpan sebagai koreksi"
        ),
    ),
    (
        re.compile(r"^'([^']*)' is not a valid (\w+) here; choose one of: (.*)$"),
        lambda m: f"{m[1]!r} bukan pilihan {m[2]} yang sah di sini; pilih salah satu: {m[3]}",
    ),
    (
        re.compile(r"^action must be one of (.*)$"),
        lambda m: f"tindakan harus salah satu dari {m[1]}",
    ),
    (
        re.compile(r"^review database not configured$"),
        lambda m: "basis data peninjauan belum diatur",
    ),
    (
        re.compile(r"^item_id: Input should be greater than or equal to 1$"),
        lambda m: "nomor aduan harus 1 atau lebih",
    ),
    (
        re.compile(r"^item_id: Input should be a valid integer"),
        lambda m: "nomor aduan harus berupa angka",
    ),
]


def _reworded(
    text: str, forms: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]]
) -> str:
    for pattern, reword in forms:
        match = pattern.match(text)
        if match:
            return reword(match)
    return text


def indonesian_reason(reason: str) -> str:
    return _reworded(reason, _FORMS)


def indonesian_error(detail: str) -> str:
    return _reworded(detail, _ERRORS)
