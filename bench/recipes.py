"""Recipes for the shipped model on the five-species data: val accuracy per source against CPU-minutes.

Issue 13 asks for the targets at the least training cost, issue 21 for the reason when the shipped recipe costs more
than 30 CPU-minutes. Each recipe is `plantvit train` on the organized five-species data (four species once Orange is
a Citrus; `tools/build_default_bundle.sh` makes it: `runs/organized-5`) with a few flags; it runs in its own process, one after another (never two trainings at
once on 2 cores), and its result goes into a JSON file as soon as it ends, so an interrupted run resumes where it was
(a recipe already in the file is skipped unless `--fresh`; a training stopped mid-way resumes from its last epoch).
Scored as `plantvit train` scores its best checkpoint: joint and species top-1 per source on val (val also chose the
checkpoint, so these figures choose the recipe; test is scored once, on the bundle that ships). Beside each: wall and
CPU minutes (the training process and its children, user + system) and the 1-minute load average before and after.
A run folder that already held a checkpoint is marked `resumed`: its minutes are only those of the last leg.

    .venv/bin/python bench/recipes.py --only lite0-160-2ep     # one recipe
    .venv/bin/python bench/recipes.py                          # every recipe not yet in the file (hours)
    .venv/bin/python bench/recipes.py --table                  # print what the file holds

The run folders stay in `--runs` (default `runs/recipes/NAME`): the flat baseline's is exported by the build script.
"""
import argparse, csv, json, os, resource, subprocess, sys, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RECIPES = {   # name: `plantvit train` flags beyond the data and --out (the defaults: Lite0, lr 2e-3 everywhere, light crops)
    'lite0-160-2ep': ['--size', '160', '--epochs', '2'],                 # issue 21's benchmark budget
    'lite0-192-3ep': ['--size', '192', '--epochs', '3'],                 # the recipe of the bundle shipped in session 6
    'flat-lite0-192-3ep': ['--size', '192', '--epochs', '3', '--flat'],  # the flat baseline at the same budget
    'lite0-224-3ep-oversample': ['--size', '224', '--epochs', '3', '--oversample', 'ibean=2', '--oversample', 'citrus=2'],
}

def val_by_source(run: Path) -> dict:
    "Joint and species top-1 per source from the run's `val_report.csv` (the rows over all species)."
    with open(run / 'val_report.csv') as f:
        return {r['source']: {'n': int(r['n']), 'joint_top1': float(r['joint_top1']), 'species_top1': float(r['species_top1'])}
                for r in csv.DictReader(f) if r['species'] == '(all)'}

def run(name: str, data: Path, runs: Path) -> dict:
    "Train recipe `name` in its own process; its val figures, wall and CPU minutes and the load around it."
    out, before = runs / name, resource.getrusage(resource.RUSAGE_CHILDREN)
    resumed = (out / 'last.pt').exists()           # e.g. trained by tools/build_default_bundle.sh: not all its minutes are seen
    load0, t0 = os.getloadavg()[0], time.time()
    subprocess.run([str(ROOT / '.venv/bin/plantvit'), 'train', str(data), '--out', str(out), '--resume', *RECIPES[name]], check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {'flags': RECIPES[name], 'val': val_by_source(out), 'wall_min': (time.time() - t0) / 60, 'cpu_min': cpu / 60,
            'load_before': load0, 'load_after': os.getloadavg()[0], 'resumed': resumed, 'cores': os.cpu_count(), 'run': str(out.relative_to(ROOT)) if out.is_relative_to(ROOT) else str(out)}

def table(results: dict) -> str:
    "A markdown table: one row a recipe, joint top-1 per source on val, CPU and wall minutes."
    srcs = sorted({s for r in results.values() for s in r['val'] if s != '(all)'})
    lines = ['| recipe | ' + ' | '.join(f'{s} joint' for s in srcs) + ' | species top-1 | CPU-min | wall min | load |',
             '|---|' + '---|' * (len(srcs) + 4)]
    for name, r in sorted(results.items(), key=lambda kv: kv[1]['cpu_min']):
        v = r['val']
        lines.append(f"| {name}{' (resumed: partial minutes)' if r.get('resumed') else ''} | " + ' | '.join(f"{v[s]['joint_top1']:.2%}" if s in v else '–' for s in srcs)
                     + f" | {v['(all)']['species_top1']:.2%} | {r['cpu_min']:.1f} | {r['wall_min']:.1f}"
                     + f" | {r['load_before']:.1f}→{r['load_after']:.1f} |")
    return '\n'.join(lines)

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--only', nargs='*', choices=list(RECIPES), help='run only these recipes')
    ap.add_argument('--data', type=Path, default=ROOT / 'runs/organized-5', help='what `plantvit organize` wrote for the five species')
    ap.add_argument('--runs', type=Path, default=ROOT / 'runs/recipes', help='where the run folders go')
    ap.add_argument('--results', type=Path, default=Path(__file__).parent / 'results' / 'recipes.json')
    ap.add_argument('--fresh', action='store_true', help='run recipes already in the results file again')
    ap.add_argument('--table', action='store_true', help='print the table of the results file and stop')
    a = ap.parse_args()
    results = json.loads(a.results.read_text()) if a.results.exists() else {}
    if not a.table:
        if not (a.data / 'manifest.parquet').exists(): sys.exit(f'{a.data} holds no manifest.parquet: run tools/build_default_bundle.sh (or plantvit organize) first')
        for name in a.only or RECIPES:
            if name in results and not a.fresh: print(f'{name}: already in {a.results.name}'); continue
            results[name] = run(name, a.data, a.runs)
            a.results.write_text(json.dumps(results, indent=1))
    print(table(results))

if __name__ == '__main__': main()
