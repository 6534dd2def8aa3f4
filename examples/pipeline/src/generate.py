"""Generate a synthetic two-class dataset (data/raw.csv): two noisy Gaussian blobs."""
import csv
import random
import sys

out, n, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(seed)
with open(out, "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["x1", "x2", "x3", "label"])
    for _ in range(n):
        label = rng.random() < 0.5
        c = 1.0 if label else -1.0
        w.writerow([
            round(rng.gauss(c, 1.2), 5),
            round(rng.gauss(-c * 0.5, 1.0), 5),
            round(rng.gauss(0.0, 1.0), 5),  # pure noise
            int(label),
        ])
