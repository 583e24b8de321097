"""A region's own complaint history, as training rows (``salur import-history``).

A desk that has forwarded complaints for years holds the labels the model
lacks most: where *this* region sends each subject. Its export names offices
in its own words ("DINAS PU BINA MARGA", "Dinas Pekerjaan Umum"), so, as for
the bundled data, every raw name goes through a reviewed mapping table
(``head,raw_name,code``) onto the taxonomy codes, never through guesswork at
training time. Names the table lacks stop the import with a draft table to
review, which suggests a code from the region file's own OPD names.
"""

from __future__ import annotations

import csv
import difflib
import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from salur.model.files import replaced_on_success
from salur.model.pipeline import CORRECTION_COLUMNS
from salur.model.regions import Region
from salur.model.taxonomy import Taxonomy
from salur.model.text import compose_document
from salur.training.batch import InputError, read_input
from salur.training.sources import dedup_key

MAPPING_COLUMNS = ("head", "raw_name", "rows", "code")
# Heads whose labels an export can carry: where a complaint went, and what it was about.
IMPORTED_HEADS = ("agency", "category")


class UnmappedNames(InputError):
    """Raw label values the mapping lacks; a draft mapping was written for review."""


@dataclass(frozen=True)
class ImportResult:
    rows: int
    labelled: dict[str, int]
    unlabelled: dict[str, int]


def _folded(value: str) -> str:
    return " ".join(value.casefold().split())


def read_mapping(path: Path, taxonomy: Taxonomy) -> dict[str, dict[str, str]]:
    """Per head, folded raw name -> code ("" for a name that says nothing)."""
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise InputError(f"mapping {path}: not a readable UTF-8 CSV ({error})") from error
    missing = [column for column in ("head", "raw_name", "code") if column not in frame]
    if missing:
        raise InputError(f"mapping {path}: no column(s) {', '.join(missing)}")
    known = {"agency": set(taxonomy.agencies), "category": set(taxonomy.categories)}
    mapping: dict[str, dict[str, str]] = {head: {} for head in IMPORTED_HEADS}
    for line, row in enumerate(frame.itertuples(index=False), start=2):
        head, code = str(row.head).strip(), str(row.code).strip()
        if head not in mapping:
            raise InputError(
                f"mapping {path}, line {line}: head {head!r} is not agency or category"
            )
        if code and code not in known[head]:
            raise InputError(f"mapping {path}, line {line}: {code!r} is not a taxonomy {head} code")
        mapping[head][_folded(str(row.raw_name))] = code
    return mapping


def seeded_mapping(region: Region, taxonomy: Taxonomy) -> dict[str, dict[str, str]]:
    """What needs no review: the region file's own OPD names, and values that are codes."""
    agency = {_folded(name): code for code, name in region.opds.items()}
    agency.update({code: code for code in taxonomy.agencies})
    return {"agency": agency, "category": {code: code for code in taxonomy.categories}}


def import_history(
    input_path: Path,
    output_path: Path,
    region: Region,
    taxonomy: Taxonomy,
    columns: Mapping[str, str],
    text_column: str = "text",
    title_column: str | None = None,
    mapping_path: Path | None = None,
    notify: Callable[[str], None] = lambda message: None,
) -> ImportResult:
    """Write ``input_path``'s complaints as labelled training rows of ``region``.

    ``columns`` names the input column of each imported head. Raises
    :class:`UnmappedNames` after writing ``<input>.mapping-draft.csv`` when a
    raw value has no code in the mapping (the seeded one plus ``mapping_path``).
    """
    frame = read_input(
        input_path, text_column, title_column, notify, other_columns=list(columns.values())
    )
    mapping = seeded_mapping(region, taxonomy)
    if mapping_path is not None:
        for head, reviewed in read_mapping(mapping_path, taxonomy).items():
            mapping[head].update(reviewed)
    unmapped: list[tuple[str, str, int]] = []
    for head, column in columns.items():
        counts = frame[column].map(lambda value: value.strip()).value_counts()
        unmapped += [
            (head, raw, int(n))
            for raw, n in counts.items()
            if raw and _folded(raw) not in mapping[head]
        ]
    if unmapped:
        # Beside the input, not the output: training reads every CSV of the
        # corrections folder, and a mapping table there would stop it.
        draft = input_path.with_name(f"{input_path.stem}.mapping-draft.csv")
        _write_draft(draft, unmapped, region, taxonomy)
        rows = sum(n for _, _, n in unmapped)
        raise UnmappedNames(
            f"{len(unmapped)} raw value(s) in {rows} row(s) have no code: review {draft} "
            "(a suggested code where one was close; an empty code leaves those rows "
            "unlabelled for that head), then run again with --mapping "
            f"{draft}; nothing was written to {output_path}"
        )
    texts = frame[text_column].fillna("")
    titles = frame[title_column].fillna("") if title_column else pd.Series("", index=frame.index)
    keys = dedup_key(titles, texts)
    out = pd.DataFrame(
        {
            "source": f"history:{region.code}",
            "source_id": [str(n) for n in range(1, len(frame) + 1)],
            "uid": [
                f"history:{region.code}:{hashlib.sha256(k.encode()).hexdigest()[:16]}" for k in keys
            ],
            "region": region.code,
            "title": titles.to_numpy(),
            "text": texts.to_numpy(),
            "submitted_at": "",
            "channel": "",
        }
    )
    labelled, unlabelled = {}, {}
    for head in ("agency", "category", "urgency", "report_type"):
        if head in columns:
            raw = frame[columns[head]].map(lambda value: _folded(value.strip()))
            out[head] = raw.map(lambda value, h=head: mapping[h].get(value, "")).to_numpy()
            labelled[head] = int((out[head] != "").sum())
            unlabelled[head] = len(out) - labelled[head]
        else:
            out[head] = ""
    # Rows with no text, or no label any head could learn from, teach nothing.
    readable = [bool(compose_document(t, x).strip()) for t, x in zip(titles, texts, strict=True)]
    out = out[readable & (out[list(columns)] != "").any(axis=1).to_numpy()]
    if out.empty:
        raise InputError(f"{input_path}: no row has a label after mapping; nothing was written")
    output_path.parent.mkdir(parents=True, exist_ok=True)
    # Unmasked complaint texts: private to the owner, like a corrections export.
    with replaced_on_success(output_path, mode=None if output_path.exists() else 0o600) as handle:
        out[list(CORRECTION_COLUMNS)].to_csv(handle, index=False)
    return ImportResult(len(out), labelled, unlabelled)


def _write_draft(
    path: Path, unmapped: list[tuple[str, str, int]], region: Region, taxonomy: Taxonomy
) -> None:
    codes = {"agency": list(taxonomy.agencies), "category": list(taxonomy.categories)}
    names = {"agency": {_folded(name): code for code, name in region.opds.items()}, "category": {}}
    rows = [
        {
            "head": head,
            "raw_name": raw,
            "rows": n,
            "code": _suggestion(raw, codes[head], names[head]),
        }
        for head, raw, n in sorted(unmapped, key=lambda item: (item[0], -item[2], item[1]))
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    with replaced_on_success(path, mode=None if path.exists() else 0o600) as handle:
        writer = csv.DictWriter(handle, fieldnames=MAPPING_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)


def _suggestion(raw: str, codes: list[str], names: Mapping[str, str]) -> str:
    """A code to review for ``raw``: one it spells out ("Dispendukcapil" holds "dukcapil"),
    else the one whose name or code reads closest, else none."""
    folded = _folded(raw)
    squeezed = folded.replace(" ", "")
    inside = [code for code in codes if code.replace("_", "") in squeezed]
    if inside:
        return max(inside, key=len)
    readable = {**{code.replace("_", " "): code for code in codes}, **names}
    close = difflib.get_close_matches(folded, list(readable), n=1, cutoff=0.6)
    return readable[close[0]] if close else ""
