"""Train a random forest on iris; autolog records the fit into the project's run."""

import argparse

import autolog
from sklearn.datasets import load_iris
from sklearn.ensemble import RandomForestClassifier

parser = argparse.ArgumentParser()
parser.add_argument("--n-trees", type=int, default=20)
parser.add_argument("--max-depth", type=int, default=3)
args = parser.parse_args()

autolog.enable()

X, y = load_iris(return_X_y=True, as_frame=True)
model = RandomForestClassifier(n_estimators=args.n_trees, max_depth=args.max_depth, random_state=0)
model.fit(X, y)
print(f"trained {args.n_trees} trees")
