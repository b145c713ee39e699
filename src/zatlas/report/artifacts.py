"""The run's files as artifacts: which section (stage) and model each belongs to."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Artifact:
    """One file of the run: its topic (section), model (column) and kind (figure/table)."""

    path: Path
    topic: str
    model: str

    @property
    def stem(self) -> str:
        return self.path.stem

    @property
    def suffix(self) -> str:
        return self.path.suffix.lower()


def classify(path: str | Path) -> tuple[str, str]:
    """(topic, model) from a results path such as results/r/analysis/ae/radius/radius.png."""
    parts = Path(path).parts
    if "analysis" in parts and len(parts) > parts.index("analysis") + 3:
        i = parts.index("analysis")
        return parts[i + 2], parts[i + 1]
    if "models" in parts and len(parts) > parts.index("models") + 2:
        return "train", parts[parts.index("models") + 1]
    for topic in ("compare", "kl_sweep", "explore"):
        if topic in parts:
            return topic, "all models"
    return "prepare", ""


def artifacts(paths: list[str | Path]) -> list[Artifact]:
    out, seen = [], set()
    for p in paths:
        p = Path(p)
        if p.suffix.lower() in (".png", ".csv", ".json") and p not in seen:
            seen.add(p)
            out.append(Artifact(p, *classify(p)))
    return out


def read_json(path: Path) -> dict:
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return {}


def find_file(arts: list[Artifact], topic: str, model: str, name: str) -> Path | None:
    for a in arts:
        if a.topic == topic and a.model == model and a.path.name == name:
            return a.path
    return None


def models_in(arts: list[Artifact], config: dict) -> list[str]:
    """The config's models first (in its order), then any other model found in the files."""
    names = list(config.get("models", {}))
    for a in arts:
        if a.model and a.model != "all models" and a.model not in names:
            names.append(a.model)
    return names


def model_label(config: dict, model: str) -> str:
    spec = config.get("models", {}).get(model)
    if not spec:
        return model
    if spec.get("type") == "vae":
        return f"{model} (VAE, kl_factor {spec.get('kl_factor', 1.0):g})"
    return f"{model} ({spec.get('type', '').upper()})"
