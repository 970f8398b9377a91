"""A store with what the web UI shows: runs with params, metric histories, tags, parent and
child runs, a run still in progress, a run whose name is markup, artifacts of every previewed
kind (text, JSON, YAML, CSV, PNG, SVG, a logged model) and a registered model with versions,
aliases and an alias move. ``python -m tests.server.ui.seed DIR`` writes one for a person to
look at."""

from __future__ import annotations

import json
import math
import sys
import zlib
from dataclasses import dataclass, field
from pathlib import Path

XSS_NAME = "<img src=x onerror=alert(1)>"
XSS_PARAM = "<script>alert('param')</script>"
SVG = """<svg xmlns="http://www.w3.org/2000/svg" width="200" height="120" viewBox="0 0 200 120">
<script>alert('svg')</script>
<rect width="200" height="120" fill="#f0f4ff"/>
<polyline points="0,110 40,70 80,80 120,30 160,40 200,10" fill="none" stroke="#2563eb" stroke-width="4"/>
<text x="10" y="20" font-size="14">loss</text></svg>"""


@dataclass
class Seeded:
    uri: str
    experiment_id: str
    runs: dict[str, str] = field(default_factory=dict)  # name -> run id
    model: str = "churn-model"


def png(width: int = 64, height: int = 48) -> bytes:
    """A small gradient PNG, written with the standard library."""
    import struct

    rows = b"".join(b"\x00" + b"".join(bytes(((x * 4) % 256, (y * 5) % 256, 160)) for x in range(width)) for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def seed(root: Path) -> Seeded:
    """Write the store under ``root`` (a directory store) and describe what is in it."""
    import autolog
    from autolog import Client

    uri = str(root / "store")
    autolog.set_tracking_uri(uri)
    experiment = autolog.set_experiment("churn")
    done = Seeded(uri, experiment.experiment_id)
    client = Client()

    with autolog.start_run(run_name="search") as parent:
        done.runs["search"] = parent.info.run_id
        autolog.log_param("search", "grid")
        for i, (lr, depth) in enumerate([(0.1, 3), (0.03, 5), (0.01, 8)]):
            with autolog.start_run(run_name=f"trial-{i}", nested=True) as trial:
                done.runs[f"trial-{i}"] = trial.info.run_id
                autolog.log_params({"lr": lr, "depth": depth, "model": "gbm"})
                for step in range(200):
                    loss = math.exp(-step * lr / 3) + 0.05 * math.sin(step / 3) + 0.1 * i
                    autolog.log_metrics({"loss": loss, "acc": 1 - loss / 2}, step=step)
                autolog.set_tag("team", "risk")
        autolog.log_metric("best_acc", 0.93)

    for name, lr, acc in [("baseline", 0.5, 0.71), ("wide", 0.05, 0.88), ("deep", 0.02, 0.91)]:
        with autolog.start_run(run_name=name) as run:
            done.runs[name] = run.info.run_id
            autolog.log_params({"lr": lr, "model": "mlp", "layers": {"baseline": 1, "wide": 2, "deep": 6}[name]})
            for step in range(100):
                autolog.log_metric("loss", 2 * math.exp(-step * lr) + 0.02 * (step % 7), step=step)
                autolog.log_metric("system/cpu_utilization_percentage", 40 + (step * 7) % 50, step=step)
            autolog.log_metric("acc", acc)
            autolog.set_tag("team", "vision" if name != "baseline" else "risk")

    with autolog.start_run(run_name=XSS_NAME) as run:
        done.runs["xss"] = run.info.run_id
        autolog.log_param("payload", XSS_PARAM)
        autolog.log_metric("acc", 0.5)
        autolog.set_tag("note", "<b>bold?</b>")

    with autolog.start_run(run_name="artifacts") as run:
        done.runs["artifacts"] = run.info.run_id
        autolog.log_metric("acc", 0.8)
        autolog.log_text("epoch 1 loss 0.5\nepoch 2 loss 0.3\n<script>alert('log')</script>\n", "logs/train.log")
        autolog.log_dict({"lr": 0.1, "layers": [64, 32], "name": "<i>cfg</i>"}, "config.json")
        autolog.log_text("lr: 0.1\nlayers:\n  - 64\n  - 32\n", "config.yaml")
        rows = ["id,feature,score,label"] + [f"{i},\"f, {i}\",{i / 10:.2f},{'yes' if i % 2 else 'no'}" for i in range(25)]
        autolog.log_text("\n".join(rows) + "\n", "data/predictions.csv")
        autolog.log_text(SVG, "plots/loss.svg")
        tmp = root / "image.png"
        tmp.write_bytes(png())
        autolog.log_artifact(str(tmp), "plots")
        model = _model()
        if model is not None:
            import numpy as np

            X = np.array([[0.1, 1.0], [0.4, 0.5], [0.9, 0.2], [0.3, 0.8]])
            autolog.log_model(model, "model", signature=autolog.infer_signature(X, model.predict(X)), input_example=X[:2])

    if "artifacts" in done.runs and _model() is not None:
        uri_of = f"runs:/{done.runs['artifacts']}/model"
        autolog.register_model(uri_of, done.model)
        autolog.register_model(uri_of, done.model)
        autolog.register_model(uri_of, done.model)
        client.set_registered_model_alias(done.model, "champion", 1)
        client.set_registered_model_alias(done.model, "champion", 2)
        client.set_registered_model_alias(done.model, "challenger", 3)
        client.set_model_version_tag(done.model, 2, "validated", "yes")
        client.set_registered_model_tag(done.model, "owner", "risk-team")

    live = client.create_run(done.experiment_id, run_name="interrupted")
    done.runs["interrupted"] = live.info.run_id
    client.log_metric(live.info.run_id, "loss", 1.0, step=0)
    client.flush()
    return done


def _model() -> object | None:
    try:
        from sklearn.linear_model import LogisticRegression
    except ImportError:
        return None
    import numpy as np

    X = np.array([[0.1, 1.0], [0.4, 0.5], [0.9, 0.2], [0.3, 0.8]])
    return LogisticRegression().fit(X, [0, 0, 1, 1])


if __name__ == "__main__":
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "ui-demo")
    out.mkdir(parents=True, exist_ok=True)
    print(json.dumps(seed(out).__dict__, indent=2))
