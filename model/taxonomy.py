"""The label contract (categories, agencies, urgency, SP4N report types) as data."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path


@dataclass(frozen=True)
class Label:
    code: str
    name: str
    group: str = ""
    deadline_working_days: int | None = None
    description: str = ""


@dataclass(frozen=True)
class Taxonomy:
    categories: dict[str, Label]
    agencies: dict[str, Label]
    urgency: dict[str, Label]
    report_types: dict[str, Label]
    groups: tuple[str, ...] = field(default=())
    # Categories whose duty holder is usually not a regional OPD, with why: the
    # agency head has never seen them labelled, so its answer is a guess.
    outside_duties: dict[str, str] = field(default_factory=dict)

    def codes_by_head(self) -> dict[str, set[str]]:
        return {
            "agency": set(self.agencies),
            "category": set(self.categories),
            "urgency": set(self.urgency),
            "report_type": set(self.report_types),
        }

    def labels(self, head: str) -> dict[str, Label]:
        return {
            "agency": self.agencies,
            "category": self.categories,
            "urgency": self.urgency,
            "report_type": self.report_types,
        }[head]

    def name(self, head: str, code: str) -> str:
        label = self.labels(head).get(code)
        return label.name if label else code


def _read(directory: Path, name: str) -> list[dict[str, str]]:
    with (directory / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def default_taxonomy_dir() -> Path:
    return Path(str(resources.files("salur.model") / "data" / "taxonomy"))


@lru_cache(maxsize=4)
def load_taxonomy(directory: Path | None = None) -> Taxonomy:
    base = directory or default_taxonomy_dir()
    categories = {
        r["code"]: Label(r["code"], r["name"], group=r["group"], description=r["covers"])
        for r in _read(base, "categories.csv")
    }
    agencies = {
        r["code"]: Label(r["code"], r["name"], description=r["typical_names"])
        for r in _read(base, "agencies.csv")
    }
    urgency = {
        r["code"]: Label(r["code"], r["name"], description=r["meaning"])
        for r in _read(base, "urgency.csv")
    }
    report_types = {
        r["code"]: Label(
            r["code"],
            r["sp4n_name"],
            deadline_working_days=int(r["deadline_working_days"]),
            description=r["meaning"],
        )
        for r in _read(base, "report_types.csv")
    }
    groups = tuple(dict.fromkeys(label.group for label in categories.values()))
    outside = (
        {r["category"]: r["why"] for r in _read(base, "outside_duties.csv")}
        if (base / "outside_duties.csv").is_file()
        else {}
    )
    unknown = sorted(set(outside) - set(categories))
    if unknown:
        # A misspelt code would quietly switch the rule off.
        raise ValueError(f"outside_duties.csv names unknown categories: {unknown}")
    return Taxonomy(categories, agencies, urgency, report_types, groups, outside)
