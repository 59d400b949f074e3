"""Hugging Face model IDs as people type or paste them: `org/name`, `name`, or a hub URL.

Pure string work, no network: `parse_model_reference` turns what a submitter gave into the
model ID (and the revision a `/tree/<revision>` or `/commit/<sha>` URL names), or raises
ValueError with a message that says what the text is and what to submit instead (a dataset, a
Space, a single file, a discussion, another site).
"""

import re
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

HUB_HOSTS = ("huggingface.co", "www.huggingface.co", "hf.co")
MAX_ID_CHARS = 96  # the hub's own limit on a repository ID
# A name part: letters, digits, "-", "_" and "."; starts and ends with a letter or digit.
NAME_PART = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?")
# Pages of the hub that are not models (huggingface.co/<word>/...).
OTHER_PAGES = {
    "datasets": "a dataset",
    "spaces": "a Space (an app)",
    "docs": "the documentation",
    "collections": "a collection",
    "papers": "a paper",
    "models": "the model search",
    "organizations": "an organisation's page",
    "settings": "account settings",
    "blog": "the blog",
    "posts": "a post",
    "learn": "a course",
    "join": "a sign-up page",
    "login": "a login page",
    "pricing": "the pricing page",
    "tasks": "a task page",
}
EXAMPLE = "e.g. `distilbert/distilbert-base-uncased-finetuned-sst-2-english`"


@dataclass(frozen=True)
class ModelReference:
    model_id: str
    revision: str | None = None  # named by the URL itself (…/tree/<revision>), else None


def parse_model_reference(text):
    """What a submitter typed → ModelReference; ValueError naming the problem."""
    text = (text or "").strip()
    if not text:
        raise ValueError(f"Give a Hugging Face model ID ({EXAMPLE}) or its hub URL.")
    lowered = text.lower()
    if "://" in text or lowered.startswith(tuple(f"{host}/" for host in HUB_HOSTS)):
        return _from_url(text if "://" in text else f"https://{text}")
    return ModelReference(check_model_id(text))


def normalise_model_id(text):
    """The model ID in what a submitter typed or pasted (a hub URL becomes `org/name`)."""
    return parse_model_reference(text).model_id


def check_model_id(model_id):
    """model_id itself when it is a well-formed `org/name` or `name`; else ValueError."""
    if len(model_id) > MAX_ID_CHARS:
        raise ValueError(
            f"{_clip(model_id)} is {len(model_id)} characters long; a Hugging Face model ID has "
            f"at most {MAX_ID_CHARS}."
        )
    if any(character.isspace() for character in model_id):
        raise ValueError(f"{model_id!r} contains spaces; a model ID looks like {EXAMPLE}.")
    parts = model_id.split("/")
    if len(parts) > 2:
        raise ValueError(
            f"{model_id!r} has {len(parts)} parts; a model ID is `organisation/name` or `name` "
            f"({EXAMPLE}). To name a revision, give it separately."
        )
    for part in parts:
        if not part:
            raise ValueError(f"{model_id!r} has an empty part; a model ID looks like {EXAMPLE}.")
        if not NAME_PART.fullmatch(part):
            raise ValueError(
                f"{part!r} in {model_id!r} is not a valid name: use letters, digits, '-', '_' and "
                "'.', starting and ending with a letter or digit."
            )
        if "--" in part or ".." in part:
            raise ValueError(f"{part!r} in {model_id!r} contains '--' or '..', which the hub "
                             "does not allow in names.")
    if parts[-1].endswith(".git"):
        raise ValueError(f"Drop the '.git' ending: submit {model_id[:-4]!r}.")
    return model_id


REVISION = re.compile(r"[A-Za-z0-9._-]+(?:/[A-Za-z0-9._-]+)*")
MAX_REVISION_CHARS = 255


def check_revision(revision):
    """revision itself when it can name a branch, tag, refs/pr/N or commit; else ValueError.
    (Git's ref rules, narrowed: a revision is also a path in the hub cache, so no "..".)"""
    if not revision or len(revision) > MAX_REVISION_CHARS or not REVISION.fullmatch(revision) \
            or ".." in revision or revision.endswith((".lock", ".")):
        raise ValueError(
            f"{_clip(revision)} is not a revision: give a branch or tag name, refs/pr/N or a "
            "commit SHA (letters, digits, '.', '_', '-' and '/' between names)."
        )
    return revision


def _from_url(url):
    parsed = urlsplit(url)
    host = (parsed.hostname or "").lower()
    if host not in HUB_HOSTS:
        raise ValueError(
            f"{_clip(url)} is not a Hugging Face URL; give a model ID ({EXAMPLE}) or a "
            "https://huggingface.co/… model URL."
        )
    segments = [unquote(segment) for segment in parsed.path.split("/") if segment]
    if not segments:
        raise ValueError(f"{_clip(url)} is the hub's home page, not a model; give a model's URL "
                         f"or ID ({EXAMPLE}).")
    if segments[0] in OTHER_PAGES:
        what = OTHER_PAGES[segments[0]]
        raise ValueError(
            f"{_clip(url)} points at {what}, not a model. SafetyGym evaluates models: give a "
            f"model's ID or URL ({EXAMPLE})."
        )
    # huggingface.co/<name> (a model without an organisation) or /<org>/<name>[/<page>/...]
    pages = ("tree", "blob", "resolve", "commit", "commits", "discussions", "raw")
    if len(segments) >= 2 and segments[1] in pages:
        owner_parts, rest = segments[:1], segments[1:]
    else:
        owner_parts, rest = segments[:2], segments[2:]
    model_id = check_model_id("/".join(owner_parts))
    if not rest:
        return ModelReference(model_id)
    page, details = rest[0], rest[1:]
    if page == "tree" and details:
        # /tree/<revision>[/<folder>]: a branch name may hold "/", but the hub shows a folder
        # after it the same way; a folder of a model is not a model either.
        if len(details) > 1 and not details[0] == "refs":
            raise ValueError(
                f"{_clip(url)} points at the folder {'/'.join(details[1:])!r} of {model_id}; "
                f"submit the model {model_id!r} (revision {details[0]!r})."
            )
        return ModelReference(model_id, "/".join(details))
    if page in ("commit", "commits") and details:
        return ModelReference(model_id, details[0])
    if page in ("blob", "resolve", "raw") and len(details) >= 2:
        raise ValueError(
            f"{_clip(url)} points at the file {'/'.join(details[1:])!r} of {model_id}, not at "
            f"the model; submit {model_id!r} (revision {details[0]!r})."
        )
    if page == "discussions" and details and details[0].isdigit():
        raise ValueError(
            f"{_clip(url)} is discussion {details[0]} of {model_id}; to evaluate what a pull "
            f"request proposes, submit {model_id!r} with revision 'refs/pr/{details[0]}'."
        )
    raise ValueError(
        f"{_clip(url)} is a page of {model_id} ({page}), not a model revision; submit "
        f"{model_id!r}."
    )


def _clip(text, limit=120):
    return repr(text if len(text) <= limit else text[:limit] + "…")
