"""Train a logistic regression on iris; autolog records the fit into the project's run."""

import argparse

import autolog
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

parser = argparse.ArgumentParser()
parser.add_argument("--regularization", type=float, default=1.0)
parser.add_argument("--max-iter", type=int, default=200)
parser.add_argument("--test-size", type=float, default=0.25)
args = parser.parse_args()

autolog.enable()  # under `autolog run`, this logs into the run autolog run created

X, y = load_iris(return_X_y=True, as_frame=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=args.test_size, random_state=0)
model = LogisticRegression(C=1.0 / args.regularization, max_iter=args.max_iter).fit(X_train, y_train)
accuracy = model.score(X_test, y_test)
autolog.log_metric("test_accuracy", accuracy)
print(f"test accuracy {accuracy:.3f}")
