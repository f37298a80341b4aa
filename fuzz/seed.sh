#!/usr/bin/env bash
# Builds the seed corpora of every fuzz target from the bundled data (nothing of them is committed):
# the sample extract imported and planned once, small real cuts of its layers, the outputs' Parquet tables,
# the district outlines in GCJ-02, the plan files. Needs the gridplan binary (built here) and python3.
set -euo pipefail
cd "$(dirname "$0")"
root=..
bin=${GRIDPLAN_BIN:-$root/target/release/gridplan}
if [ ! -x "$bin" ]; then bin=$root/target/debug/gridplan; fi
if [ ! -x "$bin" ]; then (cd $root && cargo build -q); fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$bin" plan $root/datasets/harbin-sample/harbin-sample.osm.pbf --out "$work/run" >/dev/null 2>&1
"$bin" synth --households 2000 --seed 5 --out "$work/synth" >/dev/null
in="$work/run/input"
for t in geojson csv parquet pbf plan_toml whole_plan; do mkdir -p corpus/$t; done
python3 - "$in" "$work" <<'PY'
import json, sys, os
inp, work = sys.argv[1], sys.argv[2]
def features(name):
    return json.load(open(os.path.join(inp, name)))["features"]
def fc(fs):
    return json.dumps({"type": "FeatureCollection", "features": fs}, ensure_ascii=False)
b = features("buildings.geojson")
for n in (1, 5, 20, 60):
    open(f"corpus/geojson/buildings-{n}.geojson", "w").write(fc(b[:n]))
    open(f"corpus/whole_plan/buildings-{n}.geojson", "w").write(fc(b[:n]))
open("corpus/whole_plan/buildings-residential.geojson", "w").write(fc([f for f in b if f["properties"].get("kind") in ("residential", "apartments")][:40]))
for name in ("admin_areas", "facilities", "special_units", "compounds"):
    open(f"corpus/geojson/{name}.geojson", "w").write(fc(features(f"{name}.geojson")[:8]))
open("corpus/geojson/walk.geojson", "w").write(fc(features("walk_network.geojson")[:30]))
open("corpus/geojson/point.geojson", "w").write('{"type":"Point","coordinates":[126.65,45.78]}')
open("corpus/geojson/feature.geojson", "w").write(json.dumps(b[0], ensure_ascii=False))
# Household points in the dialects planners' tools write: first byte = options (see harness::csv).
rows = []
for i, f in enumerate(b[:30]):
    ring = f["geometry"]["coordinates"][0] if f["geometry"]["type"] == "Polygon" else f["geometry"]["coordinates"][0][0]
    x, y = ring[0]
    rows.append((f"h{i}", x, y, 1 + i % 7, 2 + i % 5, f["properties"].get("name", "")))
comma = "id,lon,lat,households,persons,name\n" + "".join(f"{r[0]},{r[1]},{r[2]},{r[3]},{r[4]},\"{r[5]}\"\n" for r in rows)
semi = "id;lon;lat;households;persons;name\n" + "".join(f"{r[0]};{str(r[1]).replace('.', ',')};{str(r[2]).replace('.', ',')};{r[3]};{r[4]};{r[5]}\n" for r in rows)
chinese = "编号,经度,纬度,户数,人口\n" + "".join(f"{r[0]},{r[1]},{r[2]},{r[3]},{r[4]}\n" for r in rows)
open("corpus/csv/comma.csv", "wb").write(b"\x00" + comma.encode())
open("corpus/csv/semicolon.csv", "wb").write(bytes([0x14]) + semi.encode())
open("corpus/csv/gbk.csv", "wb").write(b"\x01" + chinese.encode("gbk"))
open("corpus/csv/bom.csv", "wb").write(b"\x00" + "\ufeff".encode() + chinese.encode())
PY
cp "$work/run/workload.parquet" "$work/run/workload_areas.parquet" "$work/run/coverage.parquet" corpus/parquet/
cp $root/tests/fixtures/struct_column.parquet corpus/parquet/
cp $root/datasets/harbin-sample/harbin-sample.osm.pbf $root/tests/fixtures/*.osm.pbf corpus/pbf/
cp "$in/plan.toml" corpus/plan_toml/sample.toml
cp "$work/synth/plan.toml" corpus/plan_toml/synth.toml
printf '[layers.households]\npath = "h.csv"\ndelimiter = ";"\ndecimal = ","\nencoding = "gbk"\n[bands]\nbasic = { min = 200, max = 300 }\n[coverage]\nmode = "time"\n[coverage.thresholds]\nschools = 15\n[coverage.groups]\nschools = ["school"]\n' > corpus/plan_toml/dialect.toml
for f in $root/datasets/china-admin/cnmaps-gcj02/*.geojson; do cp "$f" corpus/geojson/; done
echo "seeded: $(for t in corpus/*; do echo -n "$(basename $t) $(ls $t | wc -l), "; done)"
