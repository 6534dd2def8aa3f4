"""Standardize features with the training set's mean and deviation: data/features/*.csv."""
import csv
import math
import os

def load(name):
    rows = list(csv.reader(open(f"data/prepared/{name}.csv")))
    return rows[0], [[float(v) for v in r] for r in rows[1:]]

header, train = load("train")
_, test = load("test")
n_feat = len(header) - 1
mean = [sum(r[i] for r in train) / len(train) for i in range(n_feat)]
std = [math.sqrt(sum((r[i] - mean[i]) ** 2 for r in train) / len(train)) or 1.0 for i in range(n_feat)]
os.makedirs("data/features", exist_ok=True)
for name, rows in (("train", train), ("test", test)):
    with open(f"data/features/{name}.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        for r in rows:
            w.writerow([round((r[i] - mean[i]) / std[i], 6) for i in range(n_feat)] + [int(r[-1])])
print(f"standardized {n_feat} features")
