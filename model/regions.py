"""Region routing tables: a region's own OPD names for the canonical agency codes.

A region is one YAML file (``service/regions/<code>.yaml`` in the shipped
service); adding a region is adding a file, not changing code.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, cast

import yaml
from salur.model.pipeline import HEADS
from salur.model.taxonomy import Taxonomy
from salur.model.text import separate_lines


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
# How complaints write each kind of office: the word or its abbreviation
# ("kel. ploso", "kec gubeng", "ds. sukamaju"), and its level: wards and
# villages (0) sit inside districts (1), and the more precise office wins.
OFFICE_KINDS: dict[str, tuple[int, tuple[str, ...]]] = {
    "kelurahan": (0, ("kelurahan", "kel")),
    "kalurahan": (0, ("kalurahan",)),
    "desa": (0, ("desa", "ds")),
    "kampung": (0, ("kampung",)),
    "nagari": (0, ("nagari",)),
    "gampong": (0, ("gampong",)),
    "kecamatan": (1, ("kecamatan", "kec", "kc")),
    "distrik": (1, ("distrik",)),
}
# "KUA Kecamatan Benowo", "Puskesmas Kecamatan Rungkut": another institution
# named after the district, not the district office.
_NAMED_AFTER_DISTRICT = frozenset(
    {
        "kua",
        "puskesmas",
        "pustu",
        "polsek",
        "mapolsek",
        "koramil",
        "uptd",
        "sdn",
        "smpn",
        "sman",
        "smkn",
    }
)
_TOKEN = re.compile(r"[a-z0-9]+")


def office_key(name: str) -> str:
    """One spelling per office name: "Asem Rowo", "asemrowo" and "Dr. Soetomo" / "dr soetomo"."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


def office_parts(office: str) -> tuple[str, int, str] | None:
    """Kind, level and name key of "Kelurahan Ploso"; None without a known kind and a name."""
    kind, _, name = office.partition(" ")
    spec, key = OFFICE_KINDS.get(kind.lower()), office_key(name)
    if spec is None or not key:
        return None
    return kind.lower(), spec[0], key


@dataclass(frozen=True)
class _OfficeTable:
    by_kind_word: dict[str, dict[str, str]]  # "kel" -> {office key -> office}
    level: dict[str, int]
    # The most words a name can be written in: a listed one-word "Solokanjeruk"
    # is also written "solokan jeruk".
    longest: int


@lru_cache(maxsize=64)
def _office_table(offices: tuple[str, ...]) -> _OfficeTable:
    by_kind: dict[str, dict[str, str]] = {}
    level: dict[str, int] = {}
    longest = 1
    for office in offices:
        parts = office_parts(office)
        if parts is None:
            continue  # parse_region refuses these; a Region built in code may not
        kind, level[office], key = parts
        by_kind.setdefault(kind, {})[key] = office
        longest = max(longest, len(_TOKEN.findall(office.partition(" ")[2].lower())) + 2)
    by_word = {
        word: by_kind[kind]
        for kind, (_, words) in OFFICE_KINDS.items()
        if kind in by_kind
        for word in words
    }
    return _OfficeTable(by_word, level, longest)


def locate_local_office(text: str, offices: Sequence[str]) -> str | None:
    """The one office of ``offices`` the text names with its kind ("kel. ploso"), if exactly one.

    A complaint that names two wards, or two districts ("warga kelurahan A,
    masalahnya di kelurahan B"), names none for routing: guessing would
    forward it to the wrong office with the confidence of a name.
    """
    if not offices or not isinstance(text, str) or not text:
        return None
    table = _office_table(tuple(offices))
    words = _TOKEN.findall(unicodedata.normalize("NFKC", separate_lines(text)).lower())
    found: dict[int, set[str]] = {}
    for index, word in enumerate(words):
        names = table.by_kind_word.get(word)
        if names is None or (index and words[index - 1] in _NAMED_AFTER_DISTRICT):
            continue
        # Longest first, so "kapas madya baru" is not read as "kapas madya".
        for span in range(min(table.longest, len(words) - index - 1), 0, -1):
            office = names.get("".join(words[index + 1 : index + 1 + span]))
            if office is not None:
                found.setdefault(table.level[office], set()).add(office)
                break
    if any(len(named) > 1 for named in found.values()):
        return None
    for level in sorted(found):
        return found[level].pop()
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
    # Only where the region has a local office at all: otherwise the agency
    # has no OPD here and the complaint must go to review, named office or not.
    local_office = (
        locate_local_office(text, region.local_offices)
        if final == LOCAL_AGENCY and region.opd_name(final) is not None
        else None
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
    parts = {office: office_parts(office) for office in offices}
    bad = sorted(office for office, found in parts.items() if found is None)
    if bad:
        raise RegionError(
            f"{where}: local_offices must start with one of "
            f"{', '.join(k.title() for k in OFFICE_KINDS)} and a name: {bad[:5]}"
        )
    spelled: dict[tuple[str, str], str] = {}
    for office in offices:
        kind, _, key = cast(tuple[str, int, str], parts[office])
        first = spelled.setdefault((kind, key), office)
        if first != office:
            # A complaint naming either would be routed to only one of them.
            raise RegionError(f"{where}: local_offices {first!r} and {office!r} read the same")
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
