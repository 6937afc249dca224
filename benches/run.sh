#!/usr/bin/env bash
# skulint's benchmark: times `skulint check` and `skulint fix` against calamine
# alone, calamine + rust_xlsxwriter and a pandas script, on generated exports,
# in one run. Writes target/bench/results.md (the tables of BENCHMARKS.md) and
# target/bench/results.json; compares with benches/baseline.json, the numbers
# last recorded (copy results.json there when BENCHMARKS.md is updated).
# The report checks each size against DESIGN §9's bars and the streamed
# check's bars, and whether check's memory stays flat when rows double with
# the same distinct SKUs (--flat: clean Shopee exports of 1 and 2 shops).
#
#   benches/run.sh [--sizes 50000,100000,1000000] [--layout shopee]
#                  [--csv-sizes 1000000,5000000] [--folder 20x50000] [--runs 5]
#                  [--flat 500000]
#
# Installs what it needs: hyperfine and GNU time (Debian packages) when missing,
# and pandas + openpyxl (benches/requirements.txt) in a venv under target/bench.
set -euo pipefail

sizes=50000,100000,1000000
layout=shopee
csv_sizes=1000000,5000000
folder=20x50000
runs=5
flat=500000
while [[ $# -gt 0 ]]; do
    case "$1" in
        --sizes) sizes=$2; shift 2 ;;
        --layout) layout=$2; shift 2 ;;
        --csv-sizes) csv_sizes=$2; shift 2 ;;
        --folder) folder=$2; shift 2 ;;
        --runs) runs=$2; shift 2 ;;
        --flat) flat=$2; shift 2 ;;
        -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
        *) echo "benches/run.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
out=$root/target/bench
data=$out/data
mkdir -p "$data" "$out/json" "$out/tmp"

# --- what the benchmark needs -------------------------------------------------
missing=()
command -v hyperfine >/dev/null || missing+=(hyperfine)
[[ -x /usr/bin/time ]] || missing+=(time)
if [[ ${#missing[@]} -gt 0 ]]; then
    echo "installing ${missing[*]}" >&2
    apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null
fi
if [[ ! -x $out/venv/bin/python ]] || ! cmp -s benches/requirements.txt "$out/venv/requirements.txt"; then
    echo "installing benches/requirements.txt into $out/venv" >&2
    python3 -m venv "$out/venv"
    "$out/venv/bin/pip" install -q -r benches/requirements.txt
    cp benches/requirements.txt "$out/venv/requirements.txt"
fi
python=$out/venv/bin/python

echo "building release binaries" >&2
cargo build --release --quiet
# The bench targets' executables, by name, from cargo's own report.
eval "$(cargo build --release --benches --quiet --message-format=json | "$python" -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    target, executable = m.get("target", {}), m.get("executable")
    if m.get("reason") == "compiler-artifact" and executable and "bench" in target["kind"]:
        print(target["name"] + "=" + executable)
')"
skulint=$root/target/release/skulint
for binary in "$skulint" "$generate" "$calamine_load" "$calamine_write"; do
    [[ -x $binary ]] || { echo "benches/run.sh: $binary was not built" >&2; exit 2; }
done

# --- generated exports (deterministic: seed 1) --------------------------------
gen() { # rows layout file
    [[ -s $3 ]] || "$generate" --rows "$1" --layout "$2" --out "$3"
}
echo "generating exports" >&2
IFS=, read -ra size_list <<<"$sizes"
IFS=, read -ra csv_list <<<"$csv_sizes"
for n in "${size_list[@]}"; do gen "$n" "$layout" "$data/$layout-$n.xlsx"; done
for n in "${csv_list[@]}"; do
    gen "$n" csv "$data/listing-$n.csv"
    # The same listing without faults: what memory does with rows alone.
    [[ -s $data/clean-$n.csv ]] || "$generate" --rows "$n" --layout csv --double-spaces 0 \
        --invisibles 0 --duplicates 0 --bad-stock 0 --out "$data/clean-$n.csv"
done
folder_files=${folder%x*}
folder_rows=${folder#*x}
folder_dir=$data/folder-$folder
if [[ ! -d $folder_dir ]]; then
    mkdir -p "$folder_dir.tmp"
    for i in $(seq 1 "$folder_files"); do
        "$generate" --rows "$folder_rows" --layout "$layout" --seed "$i" --out "$folder_dir.tmp/export-$i.xlsx"
    done
    mv "$folder_dir.tmp" "$folder_dir"
fi
# The same $flat distinct SKUs, listed by 1 and by 2 shops, without faults:
# twice the rows, no more to report (duplicates are counted within a shop).
for shops in 1 2; do
    file=$data/flat-$flat-$shops-shops.xlsx
    [[ -s $file ]] || "$generate" --rows "$flat" --layout shopee --shops "$shops" --double-spaces 0 \
        --invisibles 0 --duplicates 0 --bad-stock 0 --out "$file"
done

# --- timing -------------------------------------------------------------------
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
peak() { # name command... → appends "name<TAB>peak RSS in KiB" to peaks.tsv
    local name=$1; shift
    /usr/bin/time -f '%M' -o "$out/tmp/rss" "$@" >/dev/null 2>&1 || true
    printf '%s\t%s\n' "$name" "$(tail -1 "$out/tmp/rss")" >>"$out/peaks.tsv"
}
: >"$out/peaks.tsv"
for n in "${size_list[@]}"; do
    file=$data/$layout-$n.xlsx
    tmp=$out/tmp
    pandas_runs=$runs
    (( n >= 1000000 )) && pandas_runs=1
    (( n >= 100000 && n < 1000000 )) && pandas_runs=2
    echo "timing $n rows" >&2
    hyperfine --style basic --ignore-failure --warmup 1 --runs "$runs" \
        --export-json "$out/json/xlsx-$n.json" \
        -n "calamine load (Range)" "$calamine_load --mode range $file" \
        -n "calamine load (cell stream)" "$calamine_load --mode stream $file" \
        -n "skulint check" "$skulint check $file" \
        -n "calamine load + rust_xlsxwriter write" "$calamine_write $file $tmp/copy.xlsx" \
        -n "calamine load + rust_xlsxwriter write (constant memory, zip level 3)" "$calamine_write --constant-memory --compression-level 3 $file $tmp/copy.xlsx" \
        -n "skulint fix" "$skulint fix $file -o $tmp/fixed.xlsx" >&2
    hyperfine --style basic --ignore-failure --runs "$pandas_runs" \
        --export-json "$out/json/pandas-$n.json" \
        -n "pandas script" "$python benches/pandas_baseline.py $file $tmp/pandas.xlsx --layout $layout" >&2
    peak "$n calamine load (Range)" "$calamine_load" --mode range "$file"
    peak "$n calamine load (cell stream)" "$calamine_load" --mode stream "$file"
    peak "$n skulint check" "$skulint" check "$file"
    peak "$n calamine load + rust_xlsxwriter write" "$calamine_write" "$file" "$tmp/copy.xlsx"
    peak "$n calamine load + rust_xlsxwriter write (constant memory, zip level 3)" "$calamine_write" \
        --constant-memory --compression-level 3 "$file" "$tmp/copy.xlsx"
    peak "$n skulint fix" "$skulint" fix "$file" -o "$tmp/fixed.xlsx"
    # pandas needs minutes for a million rows: its memory is measured up to 100,000.
    if (( n < 1000000 )); then
        peak "$n pandas script" "$python" benches/pandas_baseline.py "$file" "$tmp/pandas.xlsx" --layout "$layout"
    fi
done

echo "timing a folder of $folder_files files of $folder_rows rows" >&2
mkdir -p "$out/tmp/folder-fixed"
hyperfine --style basic --ignore-failure --warmup 1 --runs "$runs" \
    --export-json "$out/json/folder.json" \
    -n "skulint check --threads 1" "$skulint check --threads 1 $folder_dir" \
    -n "skulint check --threads 2" "$skulint check --threads 2 $folder_dir" \
    -n "skulint fix --threads 1" "$skulint fix --threads 1 $folder_dir -o $out/tmp/folder-fixed" \
    -n "skulint fix --threads 2" "$skulint fix --threads 2 $folder_dir -o $out/tmp/folder-fixed" >&2

echo "flat memory: $flat distinct SKUs in 1 and 2 shops" >&2
flat_one=$data/flat-$flat-1-shops.xlsx
flat_two=$data/flat-$flat-2-shops.xlsx
hyperfine --style basic --ignore-failure --warmup 1 --runs "$runs" \
    --export-json "$out/json/flat.json" \
    -n "skulint check, 1 shop" "$skulint check $flat_one" \
    -n "skulint check, 2 shops" "$skulint check $flat_two" >&2
peak "flat $flat skulint check, 1 shop" "$skulint" check "$flat_one"
peak "flat $flat skulint check, 2 shops" "$skulint" check "$flat_two"
for shops in 1 2; do
    file=$data/flat-$flat-$shops-shops.xlsx
    # bytes, findings, DUP001 findings
    { stat -c %s "$file"
      "$skulint" check --output-format jsonl "$file" 2>/dev/null >"$out/tmp/flat-$shops.jsonl" || true
      wc -l <"$out/tmp/flat-$shops.jsonl"
      grep -c '"code":"DUP001"' "$out/tmp/flat-$shops.jsonl" || true
    } >"$out/tmp/flat-$shops"
done

echo "streaming CSV" >&2
for n in "${csv_list[@]}"; do
    for kind in listing clean; do
        file=$data/$kind-$n.csv
        # Room for every cell: the default --max-cells (20 million) refuses more than
        # about 2.5 million rows of 8 columns.
        cells=$(( n * 10 ))
        /usr/bin/time -f '%e %M' -o "$out/tmp/csv-$kind-$n" "$skulint" check --max-cells "$cells" "$file" >/dev/null 2>&1 || true
        "$skulint" check --max-cells "$cells" --output-format jsonl "$file" 2>/dev/null | wc -l >"$out/tmp/csv-$kind-$n.findings" || true
    done
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

# --- report -------------------------------------------------------------------
"$python" - "$out" "$sizes" "$csv_sizes" "$folder_files" "$folder_rows" "$layout" \
    "$load_before" "$load_after" "$flat" <<'PY'
import json, os, platform, re, subprocess, sys
out, sizes, csv_sizes, folder_files, folder_rows, layout, load_before, load_after, flat = sys.argv[1:]
flat = int(flat)
sizes = [int(s) for s in sizes.split(",")]
csv_sizes = [int(s) for s in csv_sizes.split(",")]
peaks = {}
for line in open(f"{out}/peaks.tsv"):
    name, kib = line.rstrip("\n").split("\t")
    peaks[name] = int(kib) / 1024

def medians(path):
    return {r["command"]: r["median"] for r in json.load(open(path))["results"]}

cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
lines = [f"Machine: {os.cpu_count()} cores, {cpu}; load average {load_before} before, {load_after} after.",
         f"Layout: {layout} (benches/generate.rs, seed 1). Times are hyperfine medians; memory is the peak RSS of one run.", ""]
bars = []
ratios = {}
for n in sizes:
    t = medians(f"{out}/json/xlsx-{n}.json")
    t.update(medians(f"{out}/json/pandas-{n}.json"))
    lines += [f"### {n:,} rows", "", "| command | median | peak memory |", "|---|---:|---:|"]
    for name, seconds in t.items():
        mem = peaks.get(f"{n} {name}")
        lines.append(f"| {name} | {seconds:.3f} s | {f'{mem:.0f} MiB' if mem else '–'} |")
    check = t["skulint check"] / t["calamine load (Range)"]
    fix = t["skulint fix"] / t["calamine load + rust_xlsxwriter write"]
    fix_tuned = t["skulint fix"] / t["calamine load + rust_xlsxwriter write (constant memory, zip level 3)"]
    memory = peaks[f"{n} skulint check"] / peaks[f"{n} calamine load (Range)"]
    pandas = t["pandas script"] / t["skulint fix"]
    check_stream = t["skulint check"] / t["calamine load (cell stream)"]
    memory_stream = peaks[f"{n} skulint check"] / peaks[f"{n} calamine load (cell stream)"]
    lines += ["", "DESIGN §9 bars:", "",
              f"- check / calamine load: **{check:.2f}×** (bar ≤ 1.3×)",
              f"- fix / (calamine load + rust_xlsxwriter write): **{fix:.2f}×** (bar ≤ 1.3×); "
              f"against the writer's constant-memory mode at zip level 3: {fix_tuned:.2f}×",
              f"- check peak memory / calamine's Range: **{memory:.2f}×** (bar ≤ 2×)",
              f"- pandas script / skulint fix: **{pandas:.0f}×** faster (bar ≥ 20×)", "",
              "Streamed check bars:", "",
              f"- check / calamine load (cell stream): **{check_stream:.2f}×** (bar ≤ 1.15×, set at "
              f"100,000 and 1,000,000 rows)",
              f"- check peak memory / the cell-stream reader's: **{memory_stream:.2f}×** "
              f"(bar ≤ 3×, set at 1,000,000 rows)",
              f"- fix / (calamine load + rust_xlsxwriter write, constant memory, zip level 3): "
              f"**{fix_tuned:.2f}×** (bar ≤ 1.0×, set at 100,000 and 1,000,000 rows)",
              f"- pandas script / skulint fix: **{pandas:.0f}×** faster (bar ≥ 25×, set at 50,000 "
              f"and 1,000,000 rows)", ""]
    ratios.update({f"{n} check / calamine load (Range)": check,
                   f"{n} fix / calamine load + rust_xlsxwriter write": fix,
                   f"{n} check peak / calamine load (Range) peak": memory,
                   f"{n} pandas script / skulint fix": pandas,
                   f"{n} check / calamine load (cell stream)": check_stream,
                   f"{n} check peak / calamine load (cell stream) peak": memory_stream,
                   f"{n} fix / calamine load + rust_xlsxwriter write (constant memory, zip level 3)": fix_tuned})
    set_at = lambda *at: "" if n in at else f" (bar set at {' and '.join(f'{a:,}' for a in at)} rows)"
    bars.append((n, [("check time", check <= 1.3, ""), ("fix time", fix <= 1.3, ""),
                     ("check memory", memory <= 2, ""), ("pandas", pandas >= 20, "")],
                 [("check time", check_stream <= 1.15, set_at(100_000, 1_000_000)),
                  ("check memory", memory_stream <= 3, set_at(1_000_000)),
                  ("fix time", fix_tuned <= 1.0, set_at(100_000, 1_000_000)),
                  ("pandas", pandas >= 25, set_at(50_000, 1_000_000))]))
f = medians(f"{out}/json/folder.json")
rows = int(folder_files) * int(folder_rows)
lines += [f"### A folder of {folder_files} files × {int(folder_rows):,} rows", "",
          "| command | median | rows/s |", "|---|---:|---:|"]
for name, seconds in f.items():
    lines.append(f"| {name} | {seconds:.3f} s | {rows / seconds:,.0f} |")
one, two = f["skulint check --threads 1"], f["skulint check --threads 2"]
fix_one, fix_two = f["skulint fix --threads 1"], f["skulint fix --threads 2"]
lines += ["", f"- throughput with 2 threads: **{one / two:.2f}×** that of 1 thread for check, "
          f"**{fix_one / fix_two:.2f}×** for fix (bar ≥ 1.8× for both)", ""]
ratios.update({"folder check throughput 2 threads / 1 thread": one / two,
               "folder fix throughput 2 threads / 1 thread": fix_one / fix_two})

# Flat memory: the same distinct SKUs in 1 and 2 shops, twice the rows.
stream_source = open("src/engine/stream.rs").read() if os.path.exists("src/engine/stream.rs") else ""
threshold = re.search(r"XLSX_STREAM_FROM_BYTES: u64 = (\d+) << (\d+);", stream_source)
stream_from = int(threshold[1]) << int(threshold[2]) if threshold else None
flat_t = medians(f"{out}/json/flat.json")
flat_info = {}
lines += [f"### Flat memory: {flat:,} distinct SKUs listed by 1 and by 2 shops (no faults)", "",
          "| file | rows | size | streamed | findings | DUP001 | median | peak memory |",
          "|---|---:|---:|---|---:|---:|---:|---:|"]
for shops, name in [(1, "skulint check, 1 shop"), (2, "skulint check, 2 shops")]:
    size, findings, dup = (int(v) for v in open(f"{out}/tmp/flat-{shops}").read().split())
    streamed = "?" if stream_from is None else ("yes" if size >= stream_from else "NO (too small)")
    mem = peaks[f"flat {flat} {name}"]
    flat_info[name.split(", ")[1]] = {"rows": flat * shops, "bytes": size, "findings": findings, "DUP001": dup}
    lines.append(f"| flat-{flat}-{shops}-shops.xlsx | {flat * shops:,} | {size / 2**20:.1f} MiB | {streamed} "
                 f"| {findings:,} | {dup:,} | {flat_t[name]:.3f} s | {mem:.0f} MiB |")
flat_streamed = stream_from is not None and all(v["bytes"] >= stream_from for v in flat_info.values())
flat_memory = peaks[f"flat {flat} skulint check, 2 shops"] / peaks[f"flat {flat} skulint check, 1 shop"]
flat_time = flat_t["skulint check, 2 shops"] / flat_t["skulint check, 1 shop"]
ratios.update({"flat check peak 2 shops / 1 shop": flat_memory, "flat check time 2 shops / 1 shop": flat_time})
lines += ["", f"- check peak memory, 2 shops / 1 shop: **{flat_memory:.2f}×** (bar ≤ 1.15×: flat); "
          f"time: {flat_time:.2f}×", ""]
lines += ["### Streaming CSV (`skulint check`)", "",
          "| rows | faults | findings | time | peak memory |", "|---:|---|---:|---:|---:|"]
csv_peaks = {}
for n in csv_sizes:
    for kind, faults in [("listing", "as in the xlsx files"), ("clean", "none")]:
        seconds, kib = open(f"{out}/tmp/csv-{kind}-{n}").read().split()[-2:]
        findings = int(open(f"{out}/tmp/csv-{kind}-{n}.findings").read().split()[0])
        csv_peaks[f"{n} {kind}"] = int(kib) / 1024
        lines.append(f"| {n:,} | {faults} | {findings:,} | {float(seconds):.2f} s | {int(kib) / 1024:.0f} MiB |")
lines.append("")
verdict = lambda bars: ", ".join(f"{name} {'met' if good else 'MISSED'}{note}" for name, good, note in bars)
for n, design, streamed in bars:
    lines.append(f"Bars at {n:,} rows: §9: {verdict(design)}; streamed: {verdict(streamed)}")
lines.append(f"Folder: threads 2 vs 1 {'grows' if two < one else 'does NOT grow'}; "
             f"2 threads ≥ 1.8× one thread: {verdict([('check', one / two >= 1.8, ''), ('fix', fix_one / fix_two >= 1.8, '')])}.")
lines.append(f"Flat memory ({flat:,} distinct SKUs, 1 vs 2 shops): "
             f"{verdict([('check memory', flat_memory <= 1.15, ''), ('no DUP001 across shops', flat_info['2 shops']['DUP001'] == 0, ''), ('both files streamed', flat_streamed, '')])}.")

# Every number of this run, and how it compares with the last recorded one.
results = {"medians": {}, "peaks_mib": {**peaks, **{f"csv {k}": v for k, v in csv_peaks.items()}},
           "ratios": ratios, "flat": flat_info}
for n in sizes:
    for name, seconds in {**medians(f"{out}/json/xlsx-{n}.json"), **medians(f"{out}/json/pandas-{n}.json")}.items():
        results["medians"][f"{n} {name}"] = seconds
for name, seconds in f.items():
    results["medians"][f"folder {name}"] = seconds
for name, seconds in flat_t.items():
    results["medians"][f"flat {flat} {name}"] = seconds
json.dump(results, open(f"{out}/results.json", "w"), indent=1, sort_keys=True)
if os.path.exists("benches/baseline.json"):
    base = json.load(open("benches/baseline.json"))
    lines += ["", "### Against the recorded numbers (benches/baseline.json)", "",
              "| measurement | recorded | now | change |", "|---|---:|---:|---:|"]
    for kind, unit in [("medians", "s"), ("peaks_mib", "MiB")]:
        for key in sorted(results[kind]):
            if key in base.get(kind, {}):
                was, now = base[kind][key], results[kind][key]
                lines.append(f"| {key} | {was:.3f} {unit} | {now:.3f} {unit} | {100 * (now - was) / was:+.0f}% |")
text = "\n".join(lines) + "\n"
open(f"{out}/results.md", "w").write(text)
print(text)
PY
