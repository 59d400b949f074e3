"""The forms people fill in: signing up and submitting an agent."""

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import UserCreationForm

from leaderboard import queries
from leaderboard.submissions import NAME_MAX


class SignUpForm(UserCreationForm):
    email = forms.EmailField(
        required=False, help_text="Optional: where to tell you that an evaluation ended.")

    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ("username", "email")


def benchmark_choices():
    """The latest version of every benchmark: (slug, "Name (slug vN)")."""
    return [(version.benchmark.slug, f"{version.benchmark.name} ({version})")
            for version in queries.latest_versions()]


def exactly_one_of(archive, model_id):
    """The message when a submission gives both an archive and a model ID, or neither."""
    if archive and model_id:
        return "give an agent archive or a Hugging Face model ID, not both"
    if not archive and not model_id:
        return "give an agent archive or a Hugging Face model ID"
    return None


class SubmissionForm(forms.Form):
    archive = forms.FileField(
        required=False,
        help_text=f"An agent: a .zip or .tar.gz of the folder holding agent.py (at most "
                  f"{settings.SUBMISSION_MAX_ARCHIVE_MB} MB).")
    model_id = forms.CharField(
        required=False, max_length=300, label="Hugging Face model ID",
        help_text="Or a model on the Hugging Face hub: org/name or its URL (safetensors "
                  "weights, no code of its own).")
    revision = forms.CharField(
        required=False, max_length=200,
        help_text="The model's branch, tag or commit (default: main); it is pinned to its "
                  "commit when you submit.")
    name = forms.CharField(max_length=NAME_MAX, required=False,
                           help_text="The name on the leaderboard (a model's default: its ID).")
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False,
                                  max_length=5000)
    benchmarks = forms.MultipleChoiceField(
        widget=forms.CheckboxSelectMultiple, help_text="Each is evaluated on its latest version.",
        error_messages={"required": "pick at least one benchmark"})
    label_mapping = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Only where your labels' names differ from the benchmark's: "
                  "YOUR_LABEL=BENCHMARK_LABEL, one a line (e.g. neg=negative).")
    public = forms.BooleanField(
        required=False, initial=True,
        help_text="Public: on the leaderboard for everyone. Private: only you (and staff) see it.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["benchmarks"].choices = benchmark_choices()

    def clean(self):
        data = super().clean()
        problem = exactly_one_of(data.get("archive"), (data.get("model_id") or "").strip())
        if problem:
            self.add_error("archive", problem)
        elif data.get("archive") and not (data.get("name") or "").strip():
            self.add_error("name", "an agent needs a name for the leaderboard")
        return data

    def versions(self):
        return [queries.get_version(slug) for slug in self.cleaned_data["benchmarks"]]
