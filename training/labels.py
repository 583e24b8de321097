"""Turn publishers' raw labels into taxonomy codes using the reviewed tables.

The tables in ``datasets/mappings`` are data: a new source or a corrected
mapping is a CSV change. ``manifest.yaml`` says which table maps which raw
column of which source onto which head.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import yaml
from salur.model.pipeline import HEADS
from salur.model.taxonomy import Taxonomy

# In a table listed later in the manifest, this code takes away a code an
# earlier table gave: the raw label says the row's label is not trustworthy.
CLEARS_CODE = "-"


@dataclass(frozen=True)
class MappingRule:
    source: str
    field: str
    head: str
    file: str


def load_manifest(mappings_dir: Path) -> list[MappingRule]:
    entries = yaml.safe_load((mappings_dir / "manifest.yaml").read_text(encoding="utf-8"))
    return [MappingRule(**entry) for entry in entries]


def load_mapping_table(path: Path) -> dict[str, str]:
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    return {
        raw.strip(): code.strip() for raw, code in zip(table["raw"], table["code"], strict=True)
    }


def validate_mappings(mappings_dir: Path, taxonomy: Taxonomy) -> list[str]:
    """Problems found in the mapping tables (unknown codes, duplicate raw names)."""
    problems = []
    valid = taxonomy.codes_by_head()
    for rule in load_manifest(mappings_dir):
        table = pd.read_csv(mappings_dir / rule.file, dtype=str, keep_default_na=False)
        duplicated = table["raw"].str.strip().duplicated()
        problems += [f"{rule.file}: raw label {r!r} listed twice" for r in table["raw"][duplicated]]
        for code in table["code"].str.strip():
            if code and code != CLEARS_CODE and code not in valid[rule.head]:
                problems.append(f"{rule.file}: {code!r} is not a {rule.head} code")
    return problems


def apply_mappings(frame: pd.DataFrame, mappings_dir: Path) -> pd.DataFrame:
    """Add one column per head with its code, ``""`` where the row has none."""
    labelled = frame.copy()
    for head in HEADS:
        labelled[head] = ""
    for rule in load_manifest(mappings_dir):
        table = load_mapping_table(mappings_dir / rule.file)
        rows = labelled["source"] == rule.source
        codes = labelled.loc[rows, rule.field].str.strip().map(table).fillna("")
        has_code = codes != ""
        labelled.loc[codes.index[has_code], rule.head] = codes[has_code].replace(CLEARS_CODE, "")
    return labelled


def unmapped_raw_labels(frame: pd.DataFrame, mappings_dir: Path) -> dict[str, list[str]]:
    """Raw values that appear in the data but in no mapping table (to review)."""
    missing: dict[str, list[str]] = {}
    for rule in load_manifest(mappings_dir):
        table = load_mapping_table(mappings_dir / rule.file)
        values = frame.loc[frame["source"] == rule.source, rule.field].str.strip()
        absent = sorted({v for v in values if v and v not in table})
        if absent and not rule.file.endswith("_override.csv"):
            missing[rule.file] = absent
    return missing


def attach_urgency_gold(frame: pd.DataFrame, gold_path: Path) -> pd.DataFrame:
    """Fill the urgency head from the hand-labelled gold set (joined on uid)."""
    gold = pd.read_csv(gold_path, dtype=str, keep_default_na=False)
    labels = dict(zip(gold["uid"], gold["urgency"], strict=True))
    labelled = frame.copy()
    labelled["urgency"] = labelled["uid"].map(labels).fillna("")
    return labelled
