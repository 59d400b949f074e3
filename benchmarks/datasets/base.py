"""What a dataset loader returns: items, label names in benchmark order, provenance."""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Item:
    text: str
    label: str  # one of the dataset's labels
    source_id: str  # where the item comes from (e.g. the movie a snippet reviews), may be ""
    split: str  # "public" or "evaluation"
    record: dict | None = None  # the model input of a record benchmark (JSON object of features)


@dataclass
class LoadedDataset:
    items: list
    provenance: dict
    labels: list = field(default_factory=list)  # benchmark order, also the tie order
    input_kind: str = "text"  # "text" or "record" (protocol v1)

    def split(self, name):
        return [item for item in self.items if item.split == name]
