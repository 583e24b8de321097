"""A region's kelurahan, desa and kecamatan offices, for its region file's ``local_offices``.

Two sources, both in ``datasets/``: the offices its complaint history was sent
to (the agency mapping's ``kewilayahan`` rows), and the kecamatan of the
Kepmendagri 2022 list for its ``kemendagri_code``. Prints YAML to paste:

    python -m salur.training.offices --mapping datasets/mappings/surabaya_agency.csv \\
        --kemendagri-code 35.78
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pandas as pd
from salur.model.regions import LOCAL_AGENCY, office_parts
from salur.training.train import TrainConfig

from salur.paths import default_config_path


def lexicon(name: str) -> Path:
    """A lexicon of the data folder the default training config reads."""
    return TrainConfig.from_file(default_config_path()).data_dir / "lexicons" / name


def regency_suffix(kemendagri_code: str | None, regencies: Path | None = None) -> re.Pattern[str]:
    """ "Kecamatan Pangalengan Kabupaten Bandung": the region's own name after an office.

    Only the region's own name is cut, so "Kelurahan Kota Baru" keeps its name.
    """
    table = pd.read_csv(
        regencies or lexicon("wilayah_kepmendagri2022_regencies.csv"),
        sep=";",
        dtype=str,
        keep_default_na=False,
    )
    regency = (kemendagri_code or "").replace(".", "")
    names = table.loc[table["id"] == regency, "name"].tolist()
    if not names:
        return re.compile(r"(?!)")  # nothing to cut
    place = re.sub(r"^(?:KAB\.|KABUPATEN|KOTA)\s+", "", names[0], flags=re.IGNORECASE)
    return re.compile(rf"\s+(?:kabupaten|kab\.?|kota)\s+{re.escape(place)}\s*$", re.IGNORECASE)


def offices_from_mapping(mapping: Path, kemendagri_code: str | None = None) -> set[str]:
    table = pd.read_csv(mapping, dtype=str, keep_default_na=False)
    names = table.loc[table["code"] == LOCAL_AGENCY, "region_name"]
    suffix = regency_suffix(kemendagri_code)
    offices = set()
    for name in names:
        office = " ".join(suffix.sub("", name).split())
        if office_parts(office) is not None:
            kind, _, rest = office.partition(" ")
            offices.add(f"{kind.title()} {rest}")
    return offices


def districts_of(kemendagri_code: str, districts: Path | None = None) -> set[str]:
    table = pd.read_csv(
        districts or lexicon("wilayah_kepmendagri2022_districts.csv"),
        sep=";",
        dtype=str,
        keep_default_na=False,
    )
    regency = kemendagri_code.replace(".", "")
    return {f"Kecamatan {name}" for name in table.loc[table["regency_id"] == regency, "name"]}


def local_offices(mapping: Path | None, kemendagri_code: str | None) -> list[str]:
    """Both sources, one name per office: "Asem Rowo" and "Asemrowo" are one kecamatan.

    The history's spelling wins, since it is how the region names its office.
    """
    offices: dict[tuple[str, str], str] = {}
    sources = [
        offices_from_mapping(mapping, kemendagri_code) if mapping is not None else set(),
        districts_of(kemendagri_code) if kemendagri_code else set(),
    ]
    for source in sources:
        for office in sorted(source):
            parts = office_parts(office)
            if parts is not None:  # a region file refuses offices without kind and name
                kind, _, key = parts
                offices.setdefault((kind, key), office)
    return sorted(offices.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mapping", type=Path, help="The region's agency mapping CSV.")
    parser.add_argument("--kemendagri-code", help="The region's code, e.g. 35.78.")
    args = parser.parse_args()
    print("local_offices:")
    for office in local_offices(args.mapping, args.kemendagri_code):
        print(f"  - {office}")


if __name__ == "__main__":
    main()
