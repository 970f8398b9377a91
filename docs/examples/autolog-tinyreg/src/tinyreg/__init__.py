"""tinyreg: ordinary least squares in pure Python (a stand-in for a real library)."""

from __future__ import annotations

from collections.abc import Sequence

__version__ = "0.1.0"


class LinearRegression:
    """y = X @ coef + intercept, fitted by solving the normal equations."""

    def __init__(self) -> None:
        self.coef: list[float] = []
        self.intercept = 0.0

    def fit(self, X: Sequence[Sequence[float]], y: Sequence[float]) -> "LinearRegression":
        rows = [[1.0, *map(float, row)] for row in X]
        n = len(rows[0])
        # normal equations (A^T A) w = A^T y, solved by Gauss-Jordan elimination
        a = [[sum(r[i] * r[j] for r in rows) for j in range(n)] for i in range(n)]
        b = [sum(r[i] * float(t) for r, t in zip(rows, y)) for i in range(n)]
        for col in range(n):
            pivot = max(range(col, n), key=lambda r: abs(a[r][col]))
            a[col], a[pivot], b[col], b[pivot] = a[pivot], a[col], b[pivot], b[col]
            for r in range(n):
                if r != col and a[col][col]:
                    f = a[r][col] / a[col][col]
                    a[r] = [x - f * p for x, p in zip(a[r], a[col])]
                    b[r] -= f * b[col]
        w = [b[i] / a[i][i] if a[i][i] else 0.0 for i in range(n)]
        self.intercept, self.coef = w[0], w[1:]
        return self

    def predict(self, X: Sequence[Sequence[float]]) -> list[float]:
        return [self.intercept + sum(c * float(v) for c, v in zip(self.coef, row)) for row in X]

    def to_dict(self) -> dict[str, object]:
        return {"coef": list(self.coef), "intercept": self.intercept}

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> "LinearRegression":
        model = cls()
        model.coef = [float(c) for c in data["coef"]]  # type: ignore[union-attr]
        model.intercept = float(data["intercept"])  # type: ignore[arg-type]
        return model
