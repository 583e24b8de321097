from salur.model.classifier import Classifier
from salur.model.pii import personal_words


def test_personal_words_are_the_masked_names():
    assert personal_words("nama saya Siti Aminah, warga RT 3. Kata Bapak Joko begitu") == [
        "Joko",
        "Siti Aminah",
    ]
    assert personal_words("jalan rusak di depan sekolah") == []


def test_explanations_never_show_a_masked_name(fitted_small):
    classifier = Classifier(fitted_small, {"version": "test"})
    # A surname that is also the complaint's strongest word: without a title
    # of address it is an ordinary word and explains the decision ...
    plain = classifier.predict(["sampah menumpuk tidak diangkut, tolong sampah"])[0]
    assert any("sampah" in term.split() for term in plain.heads["agency"].terms)
    # ... after one it is a name, masked in the stored text, so it must not
    # come back as a "deciding word" in the admin page.
    named = classifier.predict(["menumpuk tidak diangkut, lapor Bapak Sampah Menumpuk"])[0]
    for head in named.heads.values():
        assert not {"sampah", "tumpuk", "menumpuk"} & {w for t in head.terms for w in t.split()}
