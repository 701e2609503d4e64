"""Organize at the seed's scale: 1.47M images in 11,499 class folders, plantvit's `organize` against the naive baseline.

The tree is made of sparse files (each has a size but no data blocks, so 1.47M of them cost inodes, not gigabytes).
Both contenders read names and sizes only, no decoding and no hashing (`organize(..., hash=False)`):

* ours: `plantvit.data.organize` — scan, parse, group, split, manifest written (Parquet + JSON + report);
* baseline: fastai's `get_image_files` (os.walk + pathlib) plus per-file parsing, grouping and splitting with the same
  plantvit functions, then the same Parquet write.

Each run is its own process (so peak RSS is its own), alternating ours/baseline, caches warm. Prints medians.

    python bench/organize_scale.py                 # full scale (~1 min to build the tree, kept in /tmp for re-runs)
    python bench/organize_scale.py --scale 0.05    # a quick look
"""
import argparse, json, os, resource, shutil, statistics, subprocess, sys, tempfile, time
from pathlib import Path

def build_tree(root: Path, n_classes: int, n_images: int):
    "Flat `Species_XXXX___Disease_YY` class folders holding sparse `<leaf id>___<shot>.JPG` files."
    if (root / '.complete').exists(): return
    per, extra = divmod(n_images, n_classes)
    i = 0
    for c in range(n_classes):
        d = root / f'Species_{c // 12:04d}___Disease_{c % 12:02d}'
        d.mkdir(parents=True, exist_ok=True)
        for k in range(per + (c < extra)):
            fd = os.open(d / f'{i:08x}-leaf-{c:05d}___RS_HL {k}.JPG', os.O_CREAT | os.O_WRONLY, 0o644)
            os.ftruncate(fd, 20_000); os.close(fd); i += 1
    (root / '.complete').touch()

def run_ours(root: str, out: str):
    from plantvit.data import organize
    res = organize([root], out=out, hash=False)
    return len(res.manifest)

def run_baseline(root: str, out: str):
    from fastai.data.transforms import get_image_files
    import pandas as pd
    from plantvit.taxonomy import parse_class_name
    from plantvit.data import group_of, split_of
    rows = []
    for p in get_image_files(root):
        c = parse_class_name(p.parent.name)
        g = group_of(str(p), 'tree')
        rows.append((str(p), c.species, c.disease, c.flat_label, p.stat().st_size, g, split_of(g)))
    df = pd.DataFrame(rows, columns=['path', 'species', 'disease', 'label', 'bytes', 'group', 'split'])
    Path(out).mkdir(parents=True, exist_ok=True)
    df.to_parquet(Path(out) / 'manifest.parquet')
    return len(df)

def child(which: str, root: str, out: str):
    import pandas, pyarrow.parquet, plantvit.data  # imports are not timed
    if which == "baseline": import fastai.data.transforms
    t = time.perf_counter()
    n = {'ours': run_ours, 'baseline': run_baseline}[which](root, out)
    dt = time.perf_counter() - t
    print(json.dumps({'which': which, 'seconds': dt, 'rows': n, 'peak_rss_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--scale', type=float, default=1.0, help='fraction of the seed size (1.47M images, 11,499 classes)')
    ap.add_argument('--repeats', type=int, default=3)
    ap.add_argument('--root', type=Path, default=None, help='where to build the tree (default: a folder in /tmp, reused)')
    ap.add_argument('--child', nargs=3, metavar=('WHICH', 'ROOT', 'OUT'), help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child: return child(*a.child)
    n_classes, n_images = max(1, round(11_499 * a.scale)), round(1_470_000 * a.scale)
    root = a.root or Path(tempfile.gettempdir()) / f'plantvit-bench-tree-{n_classes}-{n_images}'
    t = time.perf_counter(); build_tree(root, n_classes, n_images)
    print(f'tree: {n_images:,} files in {n_classes:,} class folders at {root} (built in {time.perf_counter() - t:.0f} s)')
    subprocess.run(['du', '-s', '--inodes', str(root)], capture_output=True)  # warm the dentry cache
    out = Path(tempfile.mkdtemp(prefix='plantvit-bench-out-'))
    results = {'ours': [], 'baseline': []}
    for r in range(a.repeats):
        for which in ('ours', 'baseline'):
            p = subprocess.run([sys.executable, __file__, '--child', which, str(root), str(out / which)], capture_output=True, text=True)
            if p.returncode: sys.exit(f'{which} failed:\n{p.stderr}')
            res = json.loads(p.stdout.strip().splitlines()[-1]); results[which].append(res)
            print(f"  run {r + 1} {which:8} {res['seconds']:6.2f} s  {res['rows']:,} rows  peak RSS {res['peak_rss_mb']:.0f} MB")
    shutil.rmtree(out, ignore_errors=True)
    med = {k: statistics.median(x['seconds'] for x in v) for k, v in results.items()}
    rss = {k: max(x['peak_rss_mb'] for x in v) for k, v in results.items()}
    print(f"\nmedian of {a.repeats}: ours {med['ours']:.2f} s (peak RSS {rss['ours']:.0f} MB), "
          f"baseline {med['baseline']:.2f} s (peak RSS {rss['baseline']:.0f} MB): {med['baseline'] / med['ours']:.1f}x faster")

if __name__ == '__main__': main()
