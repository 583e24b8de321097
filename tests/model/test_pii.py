import time

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
        # NIK as region-birthdate-serial, dotted per code part, in mixed groups
        ("NIK 327301 120390 0001 ya", "NIK [NIK] ya"),
        ("nik 32.73.01.120390.0001", "nik [NIK]"),
        ("NIK 3273 0112 03900001", "NIK [NIK]"),
        ("RT 05 RW 03 tahun 2023 2024", "RT 05 RW 03 tahun 2023 2024"),
        ("hp +62 (812) 3456-7890", "hp [TELEPON]"),
        ("hp (+62) 812-3456-7890", "hp [TELEPON]"),
        ("tolong pak Budi Santoso segera", "tolong pak [NAMA] segera"),
        ("nama: Budi Santoso. Alamat", "nama [NAMA]. Alamat"),
        ("Nama Lengkap : Siti Aminah", "Nama Lengkap [NAMA]"),
        ("Pelapor: Budi, Kel. Ploso", "Pelapor [NAMA], Kel. Ploso"),
        ("nama pelapor : siti aminah", "nama pelapor [NAMA]"),
        ("pelapor sudah tiga kali datang", "pelapor sudah tiga kali datang"),
        # a title between "nama saya" and the name stays, the name does not
        ("nama saya ibu sri wahyuni, warga RT 03", "nama saya ibu [NAMA], warga RT 03"),
        ("atas nama bapak budi santoso mohon", "atas nama bapak [NAMA] mohon"),
        ("atas nama saya sendiri", "atas nama saya sendiri"),
        # a role before the name, abbreviated titles and name parts
        ("Bu Bidan Sri menolak. Sri bilang", "Bu Bidan [NAMA] menolak. [NAMA] bilang"),
        ("Bu Dokter Sri menolak", "Bu Dokter [NAMA] menolak"),
        ("Ibu Hj. Siti Aminah menolak", "Ibu [NAMA] menolak"),
        ("Pak Moch. Ridwan datang, Ridwan marah", "Pak [NAMA] datang, [NAMA] marah"),
        ("Bapak dr. Andi", "Bapak [NAMA]"),
        # a repeat written with an initial, in quotes, with a suffix
        (
            "Bapak M. Rizki datang. Kemudian M. Rizki pergi",
            "Bapak [NAMA] datang. Kemudian [NAMA] pergi",
        ),
        (
            "Bapak Budi datang. Kemarin 'Budi' pulang",
            "Bapak [NAMA] datang. Kemarin '[NAMA]' pulang",
        ),
        ("nama saya Ahmad Fauzi, Ahmad Fauzi-lah", "nama saya [NAMA], [NAMA]-lah"),
        # offices addressed like people are not names, the first time or later
        (
            "Mohon Bapak/Ibu PDAM segera. Air PDAM mati, tagihan PDAM naik",
            "Mohon Bapak/Ibu PDAM segera. Air PDAM mati, tagihan PDAM naik",
        ),
        (
            "Yth. Bapak/Ibu Dinas Perhubungan, mohon Dinas Perhubungan cek",
            "Yth. Bapak/Ibu Dinas Perhubungan, mohon Dinas Perhubungan cek",
        ),
        # landlines, a KK number split by slashes, a neighbourhood office holder
        ("kantor (022) 5678901 atau 022-87654321", "kantor [TELEPON] atau [TELEPON]"),
        ("telp 0274 512 345 ya", "telp [TELEPON] ya"),
        ("KK no. 3204/0123/0485/0002", "KK no. [NIK]"),
        ("tanggal 12/03/2024 jam 10", "tanggal 12/03/2024 jam 10"),
        ("Pak RT Darto tidak mau", "Pak RT [NAMA] tidak mau"),
        ("sudah lapor Bu Lurah Sumiati", "sudah lapor Bu Lurah [NAMA]"),
        ("Pak RT sudah tahu", "Pak RT sudah tahu"),
        ("RT 003 RW 005 kode pos 60234", "RT 003 RW 005 kode pos 60234"),
        ("nama saya Muhammad Rizki Ananda Pratama", "nama saya [NAMA]"),
        # offices and places after a title of address are not names
        ("sudah lapor ke Pak Camat dan Bu Lurah", "sudah lapor ke Pak Camat dan Bu Lurah"),
        ("Bapak Bupati mohon perhatian", "Bapak Bupati mohon perhatian"),
        ("di Ibu Kota kabupaten", "di Ibu Kota kabupaten"),
        ("nama jalan Mawar atas namanya", "nama jalan Mawar atas namanya"),
        # a name found once is masked wherever else it is written as a name
        (
            "Nama saya Budi Santoso, jalan rusak. Hormat saya, Budi Santoso",
            "Nama saya [NAMA], jalan rusak. Hormat saya, [NAMA]",
        ),
        (
            "Bapak Joko Susilo minta uang, kata JOKO lagi",
            "Bapak [NAMA] minta uang, kata [NAMA] lagi",
        ),
        (
            "Pak RT Darto tidak datang. Darto bilang nanti",
            "Pak RT [NAMA] tidak datang. [NAMA] bilang nanti",
        ),
        (
            "nama saya indah lestari, taman depan rumah indah. indah lestari",
            "nama saya [NAMA], taman depan rumah indah. [NAMA]",
        ),
        # Lower case after a title: a name when it is no word (joko, painah) or a
        # given name that is also one (budi, sri); words and offices stay.
        ("sudah lapor ke pak joko tapi diam", "sudah lapor ke pak [NAMA] tapi diam"),
        ("bu painah sarmini tetangga saya", "bu [NAMA] tetangga saya"),
        ("kata pak budi besok", "kata pak [NAMA] besok"),
        ("mbak sri tidak ada", "mbak [NAMA] tidak ada"),
        ("pak rt darto menolak", "pak rt [NAMA] menolak"),
        ("tolong bu kasih bantuan", "tolong bu kasih bantuan"),
        ("ibu hamil belum dapat", "ibu hamil belum dapat"),
        ("bapak ibu yang terhormat", "bapak ibu yang terhormat"),
        ("pak lurah dan bu camat", "pak lurah dan bu camat"),
        ("pak kabid dan bu kepsek", "pak kabid dan bu kepsek"),
        ("mohon pak dibantu yg cepat", "mohon pak dibantu yg cepat"),
        ("Pak Kabid sudah tahu", "Pak Kabid sudah tahu"),
        # Found once, a name that is no word is masked again in lower case; one
        # that is also a word keeps its other uses.
        ("pak joko datang, kata joko besok", "pak [NAMA] datang, kata [NAMA] besok"),
        # A capitalised find may be an office or a place: its lower-case word stays.
        ("Bapak PUPR tolong, dinas pupr lambat", "Bapak [NAMA] tolong, dinas pupr lambat"),
        # A role between the title and the name stays, the name does not.
        ("Pak Satpam Budi galak", "Pak Satpam [NAMA] galak"),
        ("Pak Plt Kabid Joko datang", "Pak Plt Kabid [NAMA] datang"),
        ("pak babinsa joko datang", "pak babinsa [NAMA] datang"),
        ("nama saya ibuk sri wahyuni, warga", "nama saya ibuk [NAMA], warga"),
        ("atas nama Driver Ojol Santoso", "atas nama Driver Ojol [NAMA]"),
        ("Ibuk Sri datang", "Ibuk [NAMA] datang"),
        # A capitalised surname after a lower-case first name, a dash after it.
        ("pak joko Susilo datang", "pak [NAMA] datang"),
        ("pak joko- katanya", "pak [NAMA]- katanya"),
        # Abbreviations and ordinary words after a title stay.
        ("pak e-ktp saya hilang", "pak e-ktp saya hilang"),
        ("pak plt camat", "pak plt camat"),
        ("bu kos galak", "bu kos galak"),
        ("bu indah bilang taman indah", "bu [NAMA] bilang taman indah"),
        # Every title is looked at, also one inside the words after another.
        ("pak aceng dan pak encep", "pak [NAMA] dan pak [NAMA]"),
        ("pak darmaji pak sarjo datang", "pak [NAMA] pak [NAMA] datang"),
        # The text around a name stays as it was, line breaks included.
        ("lapor\npak sarno\nrt 3", "lapor\npak [NAMA]\nrt 3"),
        ("pak  joko  tukang", "pak  [NAMA]  tukang"),
        # Offices and honorifics before the name, a Batak "br" inside it.
        ("pak rt 05 slamet marah", "pak rt 05 [NAMA] marah"),
        ("bu hj zubaidah jualan", "bu hj [NAMA] jualan"),
        ("pak kepala desa sukirman", "pak kepala desa [NAMA]"),
        ("bu ani br sinaga datang", "bu [NAMA] datang"),
        # A colloquial verb after a name is not part of it; roles are no names.
        ("pak umar ngebangun pagar", "pak [NAMA] ngebangun pagar"),
        ("pak guru suparman mukul murid", "pak guru [NAMA] mukul murid"),
        ("lapor ke bu kadus.", "lapor ke bu kadus."),
        ("pak babinsa dan pak hansip", "pak babinsa dan pak hansip"),
        ("mas ojol nya", "mas ojol nya"),
        ("pak tolonggg", "pak tolonggg"),
    ],
)
def test_mask_pii(raw, masked):
    assert mask_pii(raw) == masked


def test_a_name_found_in_the_text_is_masked_in_the_title_too():
    from salur.model.pii import mask_pii_fields

    assert mask_pii_fields("Keluhan Budi Santoso", "Nama saya Budi Santoso, jalan rusak") == [
        "Keluhan [NAMA]",
        "Nama saya [NAMA], jalan rusak",
    ]
    assert mask_pii_fields(None, "Pak Joko datang") == [None, "Pak [NAMA] datang"]
    # Found in lower case in the text, the whole name is masked in the title too.
    assert mask_pii_fields("Pak Joko Susilo", "kemarin pak joko susilo marah") == [
        "Pak [NAMA]",
        "kemarin pak [NAMA] marah",
    ]


@pytest.mark.parametrize(
    "text",
    [
        "1." * 10_000,
        "a." * 10_000 + "@",
        "www." * 5_000,
        "a-" * 10_000,
        "1 " * 10_000,
        "pak joko " * 2_500,
        "bu " * 7_000,
    ],
)
def test_masking_stays_linear_on_adversarial_text(text):
    mask_pii("pak joko")  # loads the word lists outside the timed call
    # A backtracking pattern took seconds on such 20,000-character inputs and
    # froze the server's event loop; linear patterns take milliseconds. The
    # bound is two orders of magnitude above that, so it cannot flake.
    started = time.perf_counter()
    mask_pii(text)
    assert time.perf_counter() - started < 0.5


def test_masking_many_different_names_grows_linearly():
    # Each name found is masked again wherever it repeats; done name by name
    # that was quadratic (0.67 s for 1,200 names). Four times the names must
    # cost about four times as much, not sixteen: a ratio, whatever the machine.
    def best_time(names: int) -> float:
        text = "".join(f"Pelapor: Ab{i} Cd{i}, " for i in range(names))
        timings = []
        for _ in range(3):
            started = time.perf_counter()
            mask_pii(text)
            timings.append(time.perf_counter() - started)
        return min(timings)

    assert best_time(2_400) / best_time(600) < 8
