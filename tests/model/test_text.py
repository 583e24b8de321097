import time

import pytest
from salur.model.text import (
    IndonesianNormalizer,
    SastrawiStemmer,
    basic_clean,
    compose_document,
    readable_word_count,
    stem_token,
)
from sklearn.base import clone


@pytest.fixture(scope="module")
def normalizer():
    return IndonesianNormalizer().fit([])


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Jalan RUSAK parah", "jalan rusak parah"),
        ("yg ini gk bisa", "yang ini tidak bisa"),
        ("kalo ado sengketa lahan", "kalau ada sengketa lahan"),
        ("idak ado air", "tidak ada air"),
        ("tolonggg bangettt", "tolong banget"),
        ("lihat https://contoh.go.id/x?y=1 ya", "lihat xurl ya"),
        ("hub [TELEPON] atau [NIK]", "hubungi xtelepon atau xnik"),
        ("wa 081234567890 min", "wa xtelepon admin"),
        ("NIK 3173012345678901", "nik xnik"),
        ("kirim ke warga@contoh.id", "kirim ke xemail"),
        ("lain2 sehari2", "lain lain sehari sehari"),
        ("RT 05 RW 03", "rt rw"),
        ("jalannya ora iso dilewati sih", "jalannya tidak iso dilewati"),
        ("teu aya cai", "tidak ada air"),
        ("terima kasih.\\nMohon segera\\r\\n\\tdiperbaiki", "terima kasih mohon segera diperbaiki"),
        (
            "<p>Jalan&nbsp;rusak</p><br/>di desa &amp; &quot;kecamatan&quot;",
            "jalan rusak di desa kecamatan",
        ),
        # Line breaks an export dropped: the next line's capital starts a word,
        # but a capital after a single lowercase letter ("eKTP") does not.
        (
            "Kabupaten BandungMohon segera diperbaikiTerima kasih",
            "kabupaten bandung mohon segera diperbaiki terima kasih",
        ),
        ("eKTP saya hilang", "ektp saya hilang"),
        ("", ""),
        ("!!! ??? ...", ""),
    ],
)
def test_normalisation_cases(normalizer, raw, expected):
    assert normalizer.transform([raw]) == [expected]


def test_basic_clean_folds_unicode_and_case():
    assert basic_clean("ＪＡＬＡＮ").strip() == "jalan"


def test_lexicon_can_be_switched_off():
    plain = IndonesianNormalizer(use_lexicon=False).fit([])
    assert plain.transform(["yg gk"]) == ["yg gk"]


def test_stemmer_memo_and_uncached_agree():
    docs = ["pembangunan jalan diperbaiki", "kelurahan menanggulangi banjir"]
    cached = SastrawiStemmer().fit(docs[:1])
    uncached = SastrawiStemmer(memo=False).fit([])
    assert cached.transform(docs) == uncached.transform(docs)
    assert cached.transform(["pembangunan"]) == ["bangun"]


def test_stemmer_learns_training_vocabulary():
    stemmer = SastrawiStemmer(memo_min_df=1).fit(["pembangunan saluran"])
    assert stemmer.stems_ == {"pembangunan": "bangun", "saluran": "salur"}


def test_stemmer_saves_no_word_seen_in_one_document_only():
    # A word written once is most often a name: it must not ship in the model.
    docs = ["pembangunan saluran oleh pak sutrisnowati", "pembangunan saluran macet"]
    stemmer = SastrawiStemmer().fit(docs)
    assert set(stemmer.stems_) == {"pembangunan", "saluran"}
    assert stemmer.transform(["sutrisnowati membangun"]) == (
        SastrawiStemmer(memo=False).fit([]).transform(["sutrisnowati membangun"])
    )


@pytest.mark.parametrize(
    ("word", "stem", "sastrawi"),
    [
        ("meninggal", "meninggal", "tinggal"),
        ("kekerasan", "kekerasan", "keras"),
        ("berikan", "beri", "ikan"),
        ("diperbaiki", "perbaiki", "baik"),
        ("kebakaran", "kebakaran", "bakar"),
    ],
)
def test_words_sastrawi_cuts_to_another_meaning_keep_theirs(word, stem, sastrawi):
    assert stem_token(word) == sastrawi
    fitted = SastrawiStemmer().fit([word])
    unseen = SastrawiStemmer().fit([])
    uncached = SastrawiStemmer(memo=False).fit([])
    assert fitted.transform([word]) == unseen.transform([word]) == uncached.transform([word])
    assert fitted.transform([word]) == [stem]
    plain = SastrawiStemmer(use_overrides=False).fit([word])
    assert plain.transform([word]) == [sastrawi]


def test_stem_overrides_are_saved_with_the_model(tmp_path):
    table = tmp_path / "overrides.csv"
    table.write_text("word,stem,why\nberikan,beri,test\n", encoding="utf-8")
    stemmer = SastrawiStemmer(overrides_path=str(table)).fit(["berikan"])
    table.unlink()
    assert stemmer.transform(["berikan meninggal"]) == ["beri tinggal"]


@pytest.mark.parametrize(
    "step", [IndonesianNormalizer(use_lexicon=False), SastrawiStemmer(memo=False)]
)
def test_estimator_contract(step):
    params = step.get_params()
    copy = clone(step)
    assert copy.get_params() == params
    assert copy is not step
    assert step.fit(["jalan rusak"]) is step
    assert not hasattr(copy, "stems_") and not hasattr(copy, "replacements_")
    key = next(iter(params))
    copy.set_params(**{key: params[key]})


def test_compose_document():
    assert compose_document("Jalan rusak", "di depan pasar") == "Jalan rusak. di depan pasar"
    assert compose_document(None, " teks ") == "teks"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("jalan rusak", 2),
        ("[TELEPON]", 0),
        ("hubungi [TELEPON] atau [EMAIL]", 2),
        ("https://bit.ly/abc 081234567890 [NIK]", 0),
        ("[NOMOR] bit.ly/abcd wa.me/6281234567890", 0),
        ("nomor rumah 12 rusak", 3),
        ("12345 !!! \x00", 0),
        ("a b c", 0),
    ],
)
def test_readable_words_do_not_count_masks_links_or_digits(text, words):
    assert readable_word_count(text) == words


@pytest.mark.parametrize(
    "text", ["1." * 10_000, "a." * 10_000 + "@", "ab." * 6_600, "a-" * 10_000, "rumah-" * 3_400]
)
def test_cleaning_stays_linear_on_adversarial_text(text):
    # Backtracking e-mail and link patterns took 3-11 s on such 20,000-character
    # inputs, inside the server's event loop; linear ones take milliseconds, two
    # orders of magnitude below this bound.
    started = time.perf_counter()
    basic_clean(text)
    readable_word_count(text)
    assert time.perf_counter() - started < 0.5


def test_a_stemmer_saved_before_the_override_table_still_clones():
    import pickle

    old = SastrawiStemmer().fit(["meninggal", "meninggal dunia"])
    state = old.__dict__.copy()
    for name in ("use_overrides", "overrides_path", "overrides_"):
        state.pop(name)
    revived = SastrawiStemmer.__new__(SastrawiStemmer)
    revived.__setstate__(state)
    assert clone(revived).get_params()["use_overrides"] is False
    assert revived.transform(["meninggal"]) == ["meninggal"]  # its fitted memo
    assert pickle.loads(pickle.dumps(revived)).get_params() == revived.get_params()


def test_a_blank_stem_is_refused_rather_than_deleting_the_word(tmp_path):
    from salur.model.text import load_stem_overrides

    table = tmp_path / "overrides.csv"
    table.write_text("word,stem,why\nberikan,,oops\n", encoding="utf-8")
    with pytest.raises(ValueError, match="without a word or a stem"):
        load_stem_overrides(str(table))
