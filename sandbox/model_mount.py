"""What a backend binds into the sandbox for a model, and what it tells the runner.

An agent is its folder. A Hugging Face snapshot in the hub cache (`models--org--name/
snapshots/<sha>/`) is made of links into the repository's `blobs/`, so the whole repository
folder is bound (read-only) and the runner is pointed at the snapshot inside it; a snapshot
folder of plain files (save_pretrained's output) is bound as it is.
"""

from pathlib import Path


def model_mount(model_dir, huggingface=False):
    """(host folder to bind read-only, the model's path inside it: "" or "snapshots/<sha>")."""
    model_dir = Path(model_dir).absolute()
    if huggingface and model_dir.parent.name == "snapshots" and (
        model_dir.parents[1] / "blobs"
    ).is_dir():
        return model_dir.parents[1], f"snapshots/{model_dir.name}"
    return model_dir, ""


def runner_target(mount_point, inside, huggingface=False):
    """The runner's last arguments: [--huggingface] and the model's path in the sandbox."""
    target = f"{mount_point}/{inside}" if inside else str(mount_point)
    return (["--huggingface"] if huggingface else []) + [target]
