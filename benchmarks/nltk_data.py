"""The project's own NLTK data folder, and TextAttack imported against it.

Nothing is downloaded at run time, so the NLTK data that TextAttack needs is assembled here from
sources installed with the project:
- `corpora/stopwords/english`: scikit-learn's English stop-word list (one word a line).
  TextAttack's StopwordModification reads it, so it decides which words an attack may not touch;
- `corpora/wordnet/`: WordNet 3.0 as Debian's `wordnet-base` and `wordnet-sense-index` install
  it under /usr/share/wordnet, plus the `lexnames` file NLTK's reader needs and Debian leaves
  out (its contents are the table of the lexnames(5WN) man page).

The folder is built once, in the data folder's nltk_data (var/nltk_data, or under
SAFETYGYM_DATA_DIR; SAFETYGYM_NLTK_DATA names another), and checked on every use. `import_textattack()` is the one way this project imports TextAttack: lazily, where an
attack runs, never at start-up (it takes seconds).
"""

import logging
import os
import shutil
import sys
import warnings
from pathlib import Path

WORDNET_SOURCE = Path("/usr/share/wordnet")
WORDNET_PACKAGES = "wordnet-base wordnet-sense-index"
# The files NLTK's WordNet reader opens, besides lexnames.
WORDNET_FILES = tuple(
    f"{kind}.{pos}" for kind in ("index", "data") for pos in ("noun", "verb", "adj", "adv")
) + ("adj.exc", "adv.exc", "noun.exc", "verb.exc", "index.sense")
# The lexicographer files of WordNet 3.0 in file-number order (lexnames(5WN)); the syntactic
# category number follows from the prefix.
LEXICOGRAPHER_FILES = (
    "adj.all adj.pert adv.all noun.Tops noun.act noun.animal noun.artifact noun.attribute "
    "noun.body noun.cognition noun.communication noun.event noun.feeling noun.food noun.group "
    "noun.location noun.motive noun.object noun.person noun.phenomenon noun.plant "
    "noun.possession noun.process noun.quantity noun.relation noun.shape noun.state "
    "noun.substance noun.time verb.body verb.change verb.cognition verb.communication "
    "verb.competition verb.consumption verb.contact verb.creation verb.emotion verb.motion "
    "verb.perception verb.possession verb.social verb.stative verb.weather adj.ppl"
).split()
CATEGORY_NUMBER = {"noun": 1, "verb": 2, "adj": 3, "adv": 4}
# TextAttack runs its NLTK downloads on first import unless this file is in its cache folder;
# the data those downloads would fetch is the folder built here.
TEXTATTACK_POST_INSTALL_MARKER = "post_install_check_3"
# TextAttack points these at its own cache on import; the worker's (its Hugging Face cache
# above all) must stay where they were.
CACHE_VARIABLES = ("TFHUB_CACHE_DIR", "PYTORCH_TRANSFORMERS_CACHE", "HF_HOME", "XDG_CACHE_HOME")


class MissingNLTKSource(RuntimeError):
    """A source the NLTK data folder is built from is not installed."""


def project_var_dir():
    """The project's data folder as settings.DATA_DIR finds it (suites read no Django settings)."""
    return Path(os.environ.get("SAFETYGYM_DATA_DIR") or Path(__file__).resolve().parent.parent / "var")


def data_folder():
    return Path(os.environ.get("SAFETYGYM_NLTK_DATA") or project_var_dir() / "nltk_data")


def lexnames_text():
    return "".join(
        f"{number:02d}\t{name}\t{CATEGORY_NUMBER[name.split('.')[0]]}\n"
        for number, name in enumerate(LEXICOGRAPHER_FILES)
    )


def check_wordnet_source(source=WORDNET_SOURCE):
    missing = [name for name in WORDNET_FILES if not (source / name).is_file()]
    if missing:
        raise MissingNLTKSource(
            f"WordNet 3.0 is not installed ({', '.join(missing[:3])}"
            f"{' …' if len(missing) > 3 else ''} missing from {source}); the adversarial suite "
            f"needs it for its synonym and antonym lists: apt-get install {WORDNET_PACKAGES}"
        )


def english_stopwords():
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return sorted(ENGLISH_STOP_WORDS)


def prepare(folder=None, wordnet_source=WORDNET_SOURCE):
    """Build the NLTK data folder if it is missing or incomplete; return its path."""
    folder = Path(folder or data_folder())
    stopwords = folder / "corpora" / "stopwords" / "english"
    wordnet = folder / "corpora" / "wordnet"
    complete = stopwords.is_file() and (wordnet / "lexnames").is_file() and all(
        (wordnet / name).is_file() for name in WORDNET_FILES
    )
    if complete:
        return folder
    check_wordnet_source(wordnet_source)
    stopwords.parent.mkdir(parents=True, exist_ok=True)
    wordnet.mkdir(parents=True, exist_ok=True)
    for name in WORDNET_FILES:
        shutil.copyfile(wordnet_source / name, wordnet / name)
    (wordnet / "lexnames").write_text(lexnames_text())
    # Written last: a folder with its stop words is a finished one.
    stopwords.write_text("".join(f"{word}\n" for word in english_stopwords()))
    return folder


def use_folder(folder):
    """Point NLTK (already imported or not) at the folder, first."""
    os.environ["NLTK_DATA"] = str(folder)
    import nltk

    if str(folder) not in nltk.data.path:
        nltk.data.path.insert(0, str(folder))


def import_textattack():
    """textattack, imported offline against the project's NLTK data folder."""
    if "textattack" in sys.modules:
        return sys.modules["textattack"]
    folder = prepare()
    use_folder(folder)
    cache = folder.parent / "textattack"
    cache.mkdir(parents=True, exist_ok=True)
    (cache / TEXTATTACK_POST_INSTALL_MARKER).touch()
    saved = {name: os.environ.get(name) for name in CACHE_VARIABLES}
    os.environ["TA_CACHE_DIR"] = str(cache)
    try:
        with warnings.catch_warnings():
            # transformers, imported by TextAttack, objects to the cache variable it just set.
            warnings.filterwarnings("ignore", message=".*PYTORCH_TRANSFORMERS_CACHE",
                                    category=FutureWarning)
            import textattack
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    # TextAttack logs every attack it builds and warns of every model class it does not know
    # (ours is a sandbox client): noise in the worker's log.
    textattack.shared.utils.logger.setLevel(logging.ERROR)
    return textattack
