"""The autolog demo: train small models with autologging on, then look at what was recorded.

    make demo        (or: python docs/examples/demo.py)

Everything lands in ./autolog-runs (an embedded SQLite database plus artifact files); set
AUTOLOG_TRACKING_URI to record elsewhere. No network is needed: the data sets ship with
scikit-learn or are generated here.
"""

from __future__ import annotations

import autolog

autolog.set_experiment("demo")
autolog.enable()  # the one line; everything below is ordinary training code

import numpy as np  # noqa: E402
import torch  # noqa: E402
import xgboost as xgb  # noqa: E402
from sklearn.datasets import load_breast_cancer  # noqa: E402
from sklearn.ensemble import RandomForestClassifier  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.model_selection import GridSearchCV, train_test_split  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from torch import nn  # noqa: E402
from torch.utils.data import DataLoader, TensorDataset  # noqa: E402

X, y = load_breast_cancer(return_X_y=True, as_frame=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)

# -- scikit-learn: a pipeline, a forest, a small grid search -------------------------------
pipe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)).fit(X_train, y_train)
forest = RandomForestClassifier(n_estimators=50, random_state=0).fit(X_train, y_train)
search = GridSearchCV(RandomForestClassifier(random_state=0),
                      {"n_estimators": [10, 30], "max_depth": [3, None]}, cv=3).fit(X_train, y_train)

# post-training metrics: sklearn.metrics on an autologged model's predictions lands in its run
from sklearn.metrics import accuracy_score  # noqa: E402

accuracy_score(y_test, forest.predict(X_test))  # -> metric "accuracy_score_X_test"

# -- XGBoost with an eval set and early stopping ------------------------------------------
booster = xgb.XGBClassifier(n_estimators=200, max_depth=3, early_stopping_rounds=10,
                            eval_metric="logloss")
booster.fit(X_train, y_train, eval_set=[(X_test, y_test)], verbose=False)

# -- a plain PyTorch loop: no fit() anywhere, autolog watches the optimizer and loaders -----
torch.manual_seed(0)
scaler = StandardScaler().fit(X_train)
to_tensor = lambda a: torch.tensor(np.asarray(a), dtype=torch.float32)  # noqa: E731
train = DataLoader(TensorDataset(to_tensor(scaler.transform(X_train)), to_tensor(y_train)),
                   batch_size=32, shuffle=True)
val = DataLoader(TensorDataset(to_tensor(scaler.transform(X_test)), to_tensor(y_test)),
                 batch_size=128)
net = nn.Sequential(nn.Linear(30, 16), nn.ReLU(), nn.Linear(16, 1))
optimizer = torch.optim.Adam(net.parameters(), lr=1e-2)
loss_fn = nn.BCEWithLogitsLoss()
for epoch in range(5):
    net.train()
    for xb, yb in train:
        optimizer.zero_grad()
        loss = loss_fn(net(xb).squeeze(1), yb)
        loss.backward()
        optimizer.step()
    net.eval()
    with torch.no_grad():
        for xb, yb in val:
            loss_fn(net(xb).squeeze(1), yb)
autolog.end_run()  # the torch run ends here (or at interpreter exit); the model is logged then

# -- what was recorded ---------------------------------------------------------------------
autolog.flush()
runs = autolog.search_runs(experiment_names=["demo"], filter_string="attributes.status = 'FINISHED'",
                           order_by=["attributes.start_time ASC"])
print(f"\n{len(runs)} runs recorded in {autolog.get_tracking_uri()}\n")
for run in runs:
    metrics = ", ".join(f"{k}={v:.4g}" for k, v in sorted(run.data.metrics.items())[:4])
    parent = f"  (child of {run.info.parent_run_id[:8]})" if run.info.parent_run_id else ""
    print(f"- {run.info.run_name:<32} {len(run.data.params):>3} params  {metrics}{parent}")

# the best sklearn model on held-out data: search by a metric, register it, point an alias at it
best = autolog.search_runs(
    experiment_names=["demo"],
    filter_string="metrics.accuracy_score_X_test > 0 OR metrics.best_cv_score > 0",
    order_by=["metrics.accuracy_score_X_test DESC"], max_results=1)[0]
version = autolog.register_model(f"runs:/{best.info.run_id}/model", "demo-classifier")
autolog.Client().set_registered_model_alias("demo-classifier", "champion", version.version)

model = autolog.load_model("models:/demo-classifier@champion")
accuracy = float((np.asarray(model.predict(X_test)) == y_test.to_numpy()).mean())
print(f"\nregistered {best.info.run_name} ({best.info.run_id}) as demo-classifier "
      f"v{version.version} @champion")
print(f"loaded back through the {model.flavor} flavor; test accuracy {accuracy:.3f}; "
      f"signature has {len(model.signature.inputs)} input columns")
print("try:  .venv/bin/autolog runs list --experiment demo")
