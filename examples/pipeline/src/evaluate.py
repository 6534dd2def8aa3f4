"""Evaluate model.json on the test set: eval/metrics.json and the ROC curve eval/plots/roc.csv."""
import csv
import json
import math
import os

model = json.load(open("model.json"))
rows = list(csv.reader(open("data/features/test.csv")))[1:]
scores = []
for r in rows:
    z = sum(a * float(v) for a, v in zip(model["weights"], r[:-1])) + model["bias"]
    scores.append((1.0 / (1.0 + math.exp(-max(min(z, 50.0), -50.0))), int(r[-1])))
acc = sum((s >= 0.5) == bool(t) for s, t in scores) / len(scores)
pos = sum(t for _, t in scores)
neg = len(scores) - pos
roc, tp, fp, auc, prev_fpr = [], 0, 0, 0.0, 0.0
for s, t in sorted(scores, key=lambda st: -st[0]):
    tp, fp = tp + t, fp + (1 - t)
    tpr, fpr = tp / pos, fp / neg
    auc += (fpr - prev_fpr) * tpr
    prev_fpr = fpr
    roc.append((round(fpr, 4), round(tpr, 4)))
os.makedirs("eval/plots", exist_ok=True)
json.dump({"accuracy": round(acc, 4), "auc": round(auc, 4)}, open("eval/metrics.json", "w"), indent=2)
with open("eval/plots/roc.csv", "w", newline="") as f:
    csv.writer(f).writerows([("fpr", "tpr")] + roc)
print(f"accuracy {acc:.3f}, auc {auc:.3f}")
