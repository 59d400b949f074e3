"""A submission from the web form or the API: an uploaded agent archive or a Hugging Face
model ID, checked before anything is queued, then registered by the same functions the CLI
uses (leaderboard.submissions.submit_agent, leaderboard.hf_submission.create_model_submission).

Every refusal is an UploadRefused that names the field it is about (None for the whole
submission, e.g. the quota), so the form shows it beside that field and the API returns it
under that key.
"""

import re
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.files.uploadhandler import TemporaryFileUploadHandler

from leaderboard.hf_submission import create_model_submission
from leaderboard.quota import QuotaExceeded, check_quota
from leaderboard.submissions import UnmatchedLabels, clean_name, submit_agent
from sandbox.errors import InvalidSubmission, SandboxError

ARCHIVE_SUFFIXES = (".zip", ".tar.gz", ".tgz")


class UploadRefused(InvalidSubmission):
    def __init__(self, field, message):
        super().__init__(message)
        self.field = field


def parse_label_mapping(text):
    """`agent_label=benchmark_label` pairs, one a line or comma-separated, into a dict."""
    mapping = {}
    for number, pair in enumerate(re.split(r"[\n,]", text or ""), start=1):
        pair = pair.strip()
        if not pair:
            continue
        agent_label, sep, benchmark_label = (part.strip() for part in pair.partition("="))
        if not sep or not agent_label or not benchmark_label:
            raise UploadRefused("label_mapping", f"{pair!r} is not YOUR_LABEL=BENCHMARK_LABEL "
                                "(for example neg=negative)")
        if agent_label in mapping:
            raise UploadRefused("label_mapping", f"your label {agent_label!r} is mapped twice")
        mapping[agent_label] = benchmark_label
    return mapping


def check_label_mapping(mapping, versions):
    """Each mapped-to label must be a label of every chosen benchmark."""
    for version in versions:
        unknown = sorted(set(mapping.values()) - set(version.labels))
        if unknown:
            raise UploadRefused(
                "label_mapping",
                f"{', '.join(unknown)} {'is' if len(unknown) == 1 else 'are'} not a label of "
                f"{version}; its labels are {', '.join(version.labels)}")


def archive_name(uploaded_name):
    """The uploaded file's own name, reduced to a safe file name that keeps its suffix."""
    name = Path((uploaded_name or "").replace("\\", "/")).name
    name = re.sub(r"[^A-Za-z0-9._-]", "_", name)[-100:] or "agent"
    if not name.lower().endswith(ARCHIVE_SUFFIXES):
        raise UploadRefused("archive", f"{uploaded_name or 'the file'} is not a .zip or .tar.gz "
                            "archive; pack the folder holding agent.py as one of those")
    return name


class CappedUploadHandler(TemporaryFileUploadHandler):
    """Streams an uploaded file to a temporary file, but writes no more than the archive limit
    (and one byte) to disk: past it the bytes are counted and dropped, and check_size refuses
    the file by its true size. Installed by the form and the API before the body is read."""

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data, start):
        room = settings.SUBMISSION_MAX_ARCHIVE_MB * 2**20 + 1 - self.received
        self.received += len(raw_data)
        if room > 0:
            self.file.write(raw_data[:room])

    def file_complete(self, file_size):
        uploaded = super().file_complete(file_size)
        uploaded.size = self.received
        return uploaded


def cap_uploads(request):
    """Make the request's files go through CappedUploadHandler; call before its body is read."""
    request.upload_handlers = [CappedUploadHandler(request)]


def check_size(uploaded):
    limit = settings.SUBMISSION_MAX_ARCHIVE_MB * 2**20
    if uploaded.size > limit:
        raise UploadRefused("archive", f"the archive is {uploaded.size / 2**20:.1f} MB; the "
                            f"limit is {settings.SUBMISSION_MAX_ARCHIVE_MB} MB")
    if uploaded.size == 0:
        raise UploadRefused("archive", "the archive is empty")


def check_submission(owner, versions, label_mapping):
    """What every submission must pass, whatever it submits: a benchmark, a mapping onto its
    labels, and room in the owner's quota."""
    if not versions:
        raise UploadRefused("benchmarks", "pick at least one benchmark")
    check_label_mapping(label_mapping or {}, versions)
    try:
        check_quota(owner, len(versions))
    except QuotaExceeded as error:
        raise UploadRefused(None, str(error)) from None


def checked_name(name):
    try:
        return clean_name(name)
    except InvalidSubmission as error:
        raise UploadRefused("name", str(error)) from None


def submit_upload(uploaded, *, owner, versions, name, description="", public=True,
                  label_mapping=None):
    """Check and register an uploaded agent archive; returns (submission, evaluations)."""
    name = checked_name(name)
    check_size(uploaded)
    filename = archive_name(uploaded.name)
    check_submission(owner, versions, label_mapping)
    with tempfile.TemporaryDirectory(prefix="upload-") as folder:
        path = Path(folder) / filename
        with path.open("wb") as out:
            for chunk in uploaded.chunks():
                out.write(chunk)
        try:
            return submit_agent(path, versions, name=name, description=description,
                                public=public, label_mapping=label_mapping or {}, owner=owner)
        except QuotaExceeded as error:  # a parallel submission took the room checked above
            raise UploadRefused(None, str(error)) from None
        except UnmatchedLabels as error:  # fixed by a mapping, or by the agent's labels
            raise UploadRefused("label_mapping", str(error)) from None
        except InvalidSubmission as error:  # the archive's checks (sandbox.agent_files)
            raise UploadRefused("archive", str(error)) from None


def submit_model(model_id, *, owner, versions, revision="", name="", description="",
                 public=True, label_mapping=None):
    """Check and register a Hugging Face model (its revision pinned to a commit, its files and
    labels checked for every benchmark); returns (submission, evaluations)."""
    if name.strip():  # else the model's ID, checked once it is resolved
        name = checked_name(name)
    check_submission(owner, versions, label_mapping)
    try:
        return create_model_submission(
            model_id, versions=versions, revision=revision or None, name=name or None,
            description=description, label_mapping=label_mapping or {}, public=public,
            owner=owner)
    except QuotaExceeded as error:  # a parallel submission took the room checked above
        raise UploadRefused(None, str(error)) from None
    except InvalidSubmission as error:
        raise UploadRefused("model_id", str(error)) from None
    except SandboxError as error:  # the hub did not answer: not the submitter's fault
        raise UploadRefused(None, f"{error} Nothing was queued; try again later.") from None


def submit_from(data, owner, versions):
    """A submission from the form's (or the API's) cleaned fields: an archive or a model ID."""
    shared = {"owner": owner, "versions": versions, "name": data.get("name") or "",
              "description": data.get("description") or "", "public": data["public"],
              "label_mapping": parse_label_mapping(data.get("label_mapping"))}
    if data.get("archive"):
        return submit_upload(data["archive"], **shared)
    return submit_model(data["model_id"].strip(), revision=(data.get("revision") or "").strip(),
                        **shared)
