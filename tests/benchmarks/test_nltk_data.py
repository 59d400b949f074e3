"""The project's NLTK data folder, built from scikit-learn's stop words and Debian's WordNet."""

import pytest

from benchmarks import nltk_data


def test_the_folder_holds_stop_words_wordnet_and_its_lexnames(tmp_path):
    folder = nltk_data.prepare(tmp_path / "nltk_data")
    stopwords = (folder / "corpora" / "stopwords" / "english").read_text().split("\n")
    assert {"the", "and", "not"} <= set(stopwords) and len(stopwords) == 318 + 1
    wordnet = folder / "corpora" / "wordnet"
    assert all((wordnet / name).is_file() for name in nltk_data.WORDNET_FILES)
    lexnames = (wordnet / "lexnames").read_text().splitlines()
    assert len(lexnames) == 45
    assert lexnames[0] == "00\tadj.all\t3" and lexnames[18] == "18\tnoun.person\t1"
    assert lexnames[44] == "44\tadj.ppl\t3" and lexnames[29] == "29\tverb.body\t2"


def test_a_built_folder_is_not_built_again(tmp_path):
    folder = nltk_data.prepare(tmp_path)
    stopwords = folder / "corpora" / "stopwords" / "english"
    stopwords.write_text("kept\n")
    nltk_data.prepare(tmp_path, wordnet_source=tmp_path / "nowhere")
    assert stopwords.read_text() == "kept\n"


def test_missing_wordnet_names_the_apt_packages(tmp_path):
    with pytest.raises(nltk_data.MissingNLTKSource,
                       match="apt-get install wordnet-base wordnet-sense-index"):
        nltk_data.prepare(tmp_path / "nltk_data", wordnet_source=tmp_path / "no-wordnet")
