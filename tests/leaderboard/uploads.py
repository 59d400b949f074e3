"""Agent archives as a browser or a script uploads them, for the form and API tests."""

import io
import zipfile

from django.core.files.uploadedfile import SimpleUploadedFile

from tests.conftest import KEYWORD_AGENT


def zip_bytes(members):
    """A deflated zip of (name or ZipInfo, bytes or str) members."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for member, data in members:
            archive.writestr(member, data)
    return buffer.getvalue()


def agent_zip(name="agent.zip", members=None):
    """An uploaded zip of the keyword agent (or of the given members)."""
    return SimpleUploadedFile(name, zip_bytes(members or [("agent.py", KEYWORD_AGENT)]),
                              content_type="application/zip")
