"""Model IDs as typed or pasted: well-formed IDs kept, hub URLs normalised, anything else
explained in a message that names what it is and what to submit."""

import pytest

from sandbox.hf_model_id import ModelReference, normalise_model_id, parse_model_reference


@pytest.mark.parametrize("text, model_id", [
    ("distilbert/distilbert-base-uncased-finetuned-sst-2-english",
     "distilbert/distilbert-base-uncased-finetuned-sst-2-english"),
    ("  gpt2 ", "gpt2"),  # a model without an organisation
    ("cardiffnlp/twitter-roberta-base-sentiment-latest",
     "cardiffnlp/twitter-roberta-base-sentiment-latest"),
    ("org/model_v1.2", "org/model_v1.2"),
    ("https://huggingface.co/org/name", "org/name"),
    ("https://huggingface.co/org/name/", "org/name"),
    ("http://www.huggingface.co/org/name?library=transformers#model-card", "org/name"),
    ("huggingface.co/org/name", "org/name"),
    ("https://hf.co/org/name", "org/name"),
    ("https://huggingface.co/gpt2", "gpt2"),
])
def test_ids_and_model_urls_normalise_to_the_model_id(text, model_id):
    assert normalise_model_id(text) == model_id


@pytest.mark.parametrize("url, reference", [
    ("https://huggingface.co/org/name/tree/v1.0", ModelReference("org/name", "v1.0")),
    ("https://huggingface.co/org/name/tree/refs%2Fpr%2F3", ModelReference("org/name", "refs/pr/3")),
    ("https://huggingface.co/org/name/tree/refs/pr/3", ModelReference("org/name", "refs/pr/3")),
    ("https://huggingface.co/org/name/commit/" + "a" * 40, ModelReference("org/name", "a" * 40)),
    ("https://huggingface.co/gpt2/tree/main", ModelReference("gpt2", "main")),
])
def test_a_url_naming_a_revision_keeps_it(url, reference):
    assert parse_model_reference(url) == reference


@pytest.mark.parametrize("text, says", [
    ("", "Give a Hugging Face model ID"),
    ("https://huggingface.co/datasets/stanfordnlp/imdb", "points at a dataset, not a model"),
    ("https://huggingface.co/spaces/org/app", "points at a Space"),
    ("https://huggingface.co/org/name/blob/main/config.json",
     "points at the file 'config.json' of org/name, not at the model; submit 'org/name' "
     "(revision 'main')"),
    ("https://huggingface.co/org/name/resolve/abc/model.safetensors", "points at the file"),
    ("https://huggingface.co/org/name/tree/main/onnx", "points at the folder 'onnx'"),
    ("https://huggingface.co/org/name/discussions/7", "revision 'refs/pr/7'"),
    ("https://github.com/org/name", "is not a Hugging Face URL"),
    ("https://huggingface.co/", "home page"),
    ("org/name/extra", "has 3 parts"),
    ("org/", "has an empty part"),
    ("my model", "contains spaces"),
    ("org/-name", "is not a valid name"),
    ("org/na--me", "contains '--' or '..'"),
    ("org/name.git", "Drop the '.git' ending: submit 'org/name'"),
    ("o/" + "x" * 100, "at most 96"),
])
def test_anything_else_is_refused_with_what_it_is(text, says):
    with pytest.raises(ValueError) as refused:
        normalise_model_id(text)
    assert says in str(refused.value)
