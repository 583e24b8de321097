import pytest
from salur.model.pii import mask_pii


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("hubungi 081234567890", "hubungi [TELEPON]"),
        ("wa +62 812-3456-7890 ya", "wa [TELEPON] ya"),
        ("NIK 3173012345678901", "NIK [NIK]"),
        ("email saya budi.s@mail.co.id", "email saya [EMAIL]"),
        ("dilayani Bapak Joko Susilo kemarin", "dilayani Bapak [NAMA] kemarin"),
        ("Ibu Sri minta tolong", "Ibu [NAMA] minta tolong"),
        ("Sdr. Andi tidak hadir", "Sdr. [NAMA] tidak hadir"),
        ("nama saya Rina Wati, warga RT 3", "nama saya [NAMA], warga RT 3"),
        ("mohon bapak segera perbaiki jalan", "mohon bapak segera perbaiki jalan"),
        ("RT 05 RW 03 tahun 2023", "RT 05 RW 03 tahun 2023"),
        ("NIK 3273 0112 3456 7890", "NIK [NIK]"),
        ("nik 3273.0112.3456.7890.", "nik [NIK]."),
        ("HP (0812) 34567890", "HP [TELEPON]"),
        ("NAMA SAYA BUDI SANTOSO", "NAMA SAYA [NAMA]"),
        ("nama saya budi santoso mau lapor", "nama saya [NAMA] mau lapor"),
        (
            "Nama saya: Budi Santoso. NIK 3273 0112 3456 7890, hp 0812-3456-7890",
            "Nama saya [NAMA]. NIK [NIK], hp [TELEPON]",
        ),
        ("saya bernama M. Rizki alamat jl mawar", "saya bernama [NAMA] alamat jl mawar"),
        ("harga Rp 1.500.000 untuk 2 unit", "harga Rp 1.500.000 untuk 2 unit"),
    ],
)
def test_mask_pii(raw, masked):
    assert mask_pii(raw) == masked
