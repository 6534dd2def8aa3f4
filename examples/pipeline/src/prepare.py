"""Split data/raw.csv into data/prepared/{train,test}.csv (params: prepare.seed, prepare.split)."""
import csv
import os
import random
import tomllib

params = tomllib.load(open("params.toml", "rb"))["prepare"]
rows = list(csv.reader(open("data/raw.csv")))
header, body = rows[0], rows[1:]
random.Random(params["seed"]).shuffle(body)
cut = int(len(body) * params["split"])
os.makedirs("data/prepared", exist_ok=True)
for name, part in (("train", body[:cut]), ("test", body[cut:])):
    with open(f"data/prepared/{name}.csv", "w", newline="") as f:
        csv.writer(f).writerows([header] + part)
print(f"prepared {cut} training and {len(body) - cut} test rows")
