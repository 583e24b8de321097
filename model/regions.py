"""Region routing tables: a region's own OPD names for the canonical agency codes.

A region is one YAML file (``service/regions/<code>.yaml`` in the shipped
service); adding a region is adding a file, not changing code.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
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


def route_agency(region: Region, agency: str, category: str) -> Routing:
    """The agency a complaint goes to in ``region``, and that OPD's own name.

    A category override wins over the predicted agency: in one region street
    lighting belongs to public works, in another to transport, whatever the
    text's wording suggests.
    """
    override = region.category_overrides.get(category)
    final = override or agency
    return Routing(
        agency=final,
        predicted_agency=agency,
        opd_name=region.opd_name(final),
        override=f"category {category} is handled by {override} in {region.code}"
        if override and override != agency
        else None,
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
