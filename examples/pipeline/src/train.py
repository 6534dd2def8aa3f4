"""Train logistic regression by gradient descent (params: train.lr, train.epochs, train.l2).

Logs the training loss per epoch to $MLX_METRICS_FILE when run by mlx, and writes model.json.
"""
import csv
import json
import math
import os
import tomllib

params = tomllib.load(open("params.toml", "rb"))["train"]
rows = list(csv.reader(open("data/features/train.csv")))[1:]
X = [[float(v) for v in r[:-1]] for r in rows]
y = [int(r[-1]) for r in rows]
w = [0.0] * len(X[0])
b = 0.0
metrics = open(os.environ["MLX_METRICS_FILE"], "a") if "MLX_METRICS_FILE" in os.environ else None

def sigmoid(z):
    return 1.0 / (1.0 + math.exp(-max(min(z, 50.0), -50.0)))

for epoch in range(params["epochs"]):
    gw = [0.0] * len(w)
    gb = 0.0
    loss = 0.0
    for xi, yi in zip(X, y):
        p = sigmoid(sum(a * c for a, c in zip(w, xi)) + b)
        loss -= yi * math.log(p + 1e-12) + (1 - yi) * math.log(1 - p + 1e-12)
        for j, v in enumerate(xi):
            gw[j] += (p - yi) * v
        gb += p - yi
    n = len(X)
    w = [wj - params["lr"] * (g / n + params["l2"] * wj) for wj, g in zip(w, gw)]
    b -= params["lr"] * gb / n
    if metrics:
        metrics.write(json.dumps({"key": "train_loss", "value": loss / n, "step": epoch}) + "\n")
        metrics.flush()

json.dump({"weights": w, "bias": b}, open("model.json", "w"), indent=2)
print(f"trained for {params['epochs']} epochs, final loss {loss / n:.4f}")
