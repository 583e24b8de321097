from pathlib import Path

import yaml
from salur.training.offices import districts_of, local_offices

ROOT = Path(__file__).resolve().parents[2]


def test_shipped_region_files_list_what_the_generator_gives():
    for region, mapping, code in (
        ("kota-surabaya", "surabaya_agency", "35.78"),
        ("kab-bandung", "bandung_agency", "32.04"),
    ):
        shipped = yaml.safe_load((ROOT / "service" / "regions" / f"{region}.yaml").read_text())
        generated = local_offices(ROOT / "datasets" / "mappings" / f"{mapping}.csv", code)
        assert shipped["local_offices"] == generated


def test_one_name_per_office_and_the_history_spelling_wins(tmp_path):
    mapping = tmp_path / "m.csv"
    mapping.write_text(
        "raw,code,region_name,note\n"
        "Kec Asemrowo,kewilayahan,Kecamatan Asemrowo,\n"
        "Kel X,kewilayahan,Kelurahan Sumber Kota Surabaya,\n"
        "Kel Y,kewilayahan,Kelurahan Kota Baru,\n"
        "Kel 1,kewilayahan,Kelurahan 1 Ulu,\n"
        "Kel 2,kewilayahan,Kelurahan 2 Ulu,\n"
        "Dinas,pupr,Dinas PU,\n"
        "Lain,kewilayahan,Pemerintah Kabupaten,\n",
        encoding="utf-8",
    )
    offices = local_offices(mapping, "35.78")
    assert "Kecamatan Asemrowo" in offices and "Kecamatan Asem Rowo" not in offices
    assert "Kelurahan Sumber" in offices
    # Only the region's own name is cut; numbered offices stay apart.
    assert {"Kelurahan Kota Baru", "Kelurahan 1 Ulu", "Kelurahan 2 Ulu"} <= set(offices)
    assert not any(o.startswith(("Dinas", "Pemerintah")) for o in offices)
    assert len(districts_of("35.78")) == 31
