"""Region routing tables: a region's own OPD names for the canonical agency codes.

A region is one YAML file (``service/regions/<code>.yaml`` in the shipped
service); adding a region is adding a file, not changing code.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from salur.model.pipeline import HEADS
from salur.model.taxonomy import Taxonomy


class RegionError(ValueError):
    """A region file is malformed or names codes outside the taxonomy."""


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    opds: dict[str, str]
    category_overrides: dict[str, str] = field(default_factory=dict)
    kemendagri_code: str = ""
    # Per-head thresholds that replace the model's for this region only, e.g.
    # a stricter agency threshold while a new region has no history in training.
    thresholds: dict[str, float] = field(default_factory=dict)
    # IANA zone of the region's desk (Asia/Makassar for WITA, Asia/Jayapura for
    # WIT); None: the deployment's SALUR_TIMEZONE.
    timezone: str | None = None
    # The region's own kelurahan, desa and kecamatan offices ("Kelurahan Ploso",
    # "Kecamatan Gubeng"): a complaint for the local office that names one of
    # them is routed to that office by name instead of "the local office".
    local_offices: tuple[str, ...] = ()

    def opd_name(self, agency: str) -> str | None:
        return self.opds.get(agency)

    def thresholds_over(self, base: Mapping[str, float]) -> dict[str, float]:
        """The thresholds this region routes with: its own win over ``base``."""
        return {**base, **self.thresholds}


def unknown_region(code: str, known: Iterable[str]) -> str:
    """The message for a region code that has no region file."""
    return f"unknown region {code!r}; known regions: {', '.join(sorted(known))}"


@dataclass(frozen=True)
class Routing:
    agency: str
    predicted_agency: str
    opd_name: str | None
    override: str | None
    # The office the complaint names, when the agency is the local office.
    local_office: str | None = None


LOCAL_AGENCY = "kewilayahan"
# How complaints write each kind of office: the word itself or its abbreviation
# ("kel. ploso", "kec gubeng", "ds. sukamaju"). Villages and urban wards come
# before districts: the more precise office wins when a complaint names both.
OFFICE_KINDS: dict[str, tuple[int, str]] = {
    "kelurahan": (0, r"kelurahan|kalurahan|kel"),
    "desa": (0, r"desa|ds"),
    "kampung": (0, r"kampung"),
    "nagari": (0, r"nagari"),
    "gampong": (0, r"gampong"),
    "kecamatan": (1, r"kecamatan|kec"),
    "distrik": (1, r"distrik"),
}


def _folded(name: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", name.lower()).split())


def _name_key(name: str) -> str:
    # Complaints write "Sumur Welut" and "sumurwelut", "Asem Rowo" and "asemrowo".
    return re.sub(r"[^a-z0-9]", "", name.lower())


@lru_cache(maxsize=64)
def _office_patterns(
    offices: tuple[str, ...],
) -> tuple[tuple[re.Pattern[str], dict[str, str]], ...]:
    """Per level (villages, then districts): one pattern and its folded name → office."""
    levels: dict[int, dict[str, dict[str, str]]] = {}
    for office in offices:
        kind, _, name = office.partition(" ")
        level, _ = OFFICE_KINDS[kind.lower()]
        levels.setdefault(level, {}).setdefault(kind.lower(), {})[_folded(name)] = office
    patterns = []
    for level in sorted(levels):
        alternatives = []
        names: dict[str, str] = {}
        for kind, by_name in levels[level].items():
            # Longest names first, so "kapas madya baru" is not read as "kapas madya".
            ordered = sorted(by_name, key=len, reverse=True)
            spelled = "|".join(r"\s*".join(map(re.escape, n.split())) for n in ordered)
            # A dot or a space must part kind and name: "kecamatan" is not
            # "kec" followed by an office called Amatan.
            alternatives.append(rf"(?:{OFFICE_KINDS[kind][1]})(?:\.\s*|\s+)(?P<{kind}>{spelled})")
            names.update({f"{kind}:{_name_key(n)}": office for n, office in by_name.items()})
        patterns.append((re.compile(rf"\b(?:{'|'.join(alternatives)})\b"), names))
    return tuple(patterns)


def locate_local_office(text: str, offices: Sequence[str]) -> str | None:
    """The one office of ``offices`` the text names with its kind ("kel. ploso"), if exactly one.

    A complaint that names two wards ("warga kelurahan A, masalahnya di
    kelurahan B") names none for routing: guessing would forward it to the
    wrong office with the confidence of a name.
    """
    if not offices or not text:
        return None
    folded = " ".join(re.sub(r"[^a-z0-9.]+", " ", text.lower()).split())
    for pattern, names in _office_patterns(tuple(offices)):
        found = {
            names.get(f"{kind}:{_name_key(value)}")
            for match in pattern.finditer(folded)
            for kind, value in match.groupdict().items()
            if value
        } - {None}
        if len(found) == 1:
            return found.pop()
        if found:
            return None
    return None


def route_agency(region: Region, agency: str, category: str, text: str = "") -> Routing:
    """The agency a complaint goes to in ``region``, and that OPD's own name.

    A category override wins over the predicted agency: in one region street
    lighting belongs to public works, in another to transport, whatever the
    text's wording suggests. A complaint for the local office that names one
    of the region's kelurahan, desa or kecamatan goes to that office by name.
    """
    override = region.category_overrides.get(category)
    final = override or agency
    local_office = (
        locate_local_office(text, region.local_offices) if final == LOCAL_AGENCY else None
    )
    return Routing(
        agency=final,
        predicted_agency=agency,
        opd_name=local_office or region.opd_name(final),
        override=f"category {category} is handled by {override} in {region.code}"
        if override and override != agency
        else None,
        local_office=local_office,
    )


def _threshold(value: Any) -> float:
    # YAML reads "no"/"off" as False, which float() would quietly turn into 0.0:
    # a threshold that auto-routes everything.
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is a yes/no value, not a number")
    return float(value)


def parse_region(data: Mapping[str, Any], taxonomy: Taxonomy, source: str = "") -> Region:
    where = source or str(data.get("code", "?"))
    try:
        code = str(data["code"])
        name = str(data["name"])
        opds = {str(k): str(v) for k, v in (data.get("opds") or {}).items()}
        overrides = {str(k): str(v) for k, v in (data.get("category_overrides") or {}).items()}
        thresholds = {str(k): _threshold(v) for k, v in (data.get("thresholds") or {}).items()}
    except (KeyError, AttributeError, TypeError, ValueError) as error:
        raise RegionError(
            f"{where}: needs code, name and an opds mapping; thresholds must be numbers ({error})"
        ) from error
    unknown_heads = sorted(set(thresholds) - set(HEADS))
    out_of_range = sorted(head for head, value in thresholds.items() if not 0.0 <= value <= 1.0)
    if unknown_heads or out_of_range:
        raise RegionError(
            f"{where}: thresholds for unknown heads {unknown_heads} "
            f"or outside [0, 1] {out_of_range}"
        )
    unknown_agencies = sorted((set(opds) | set(overrides.values())) - set(taxonomy.agencies))
    unknown_categories = sorted(set(overrides) - set(taxonomy.categories))
    if unknown_agencies or unknown_categories:
        raise RegionError(
            f"{where}: unknown agency codes {unknown_agencies} / category codes {unknown_categories}"
        )
    offices = data.get("local_offices") or []
    if not isinstance(offices, list) or not all(isinstance(o, str) for o in offices):
        raise RegionError(f"{where}: local_offices must be a list of office names")
    unknown_kinds = sorted(
        {
            o
            for o in offices
            if o.partition(" ")[0].lower() not in OFFICE_KINDS or not o.partition(" ")[2].strip()
        }
    )
    if unknown_kinds:
        raise RegionError(
            f"{where}: local_offices must start with one of "
            f"{', '.join(k.title() for k in OFFICE_KINDS)} and a name: {unknown_kinds[:5]}"
        )
    timezone = data.get("timezone")
    if timezone is not None:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(str(timezone))
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise RegionError(
                f"{where}: unknown timezone {timezone!r} (an IANA name such as Asia/Makassar)"
            ) from error
    return Region(
        code,
        name,
        opds,
        overrides,
        str(data.get("kemendagri_code", "")),
        thresholds,
        None if timezone is None else str(timezone),
        tuple(" ".join(o.split()) for o in offices),
    )


def load_regions(directory: Path, taxonomy: Taxonomy) -> dict[str, Region]:
    regions = {}
    for path in sorted(directory.glob("*.yaml")):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (yaml.YAMLError, UnicodeDecodeError) as error:
            raise RegionError(f"{path}: not a readable UTF-8 YAML file ({error})") from error
        region = parse_region(data or {}, taxonomy, str(path))
        if region.code != path.stem:
            raise RegionError(f"{path}: code {region.code!r} must match the file name")
        regions[region.code] = region
    return regions
