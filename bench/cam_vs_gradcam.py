"""Where the evidence lies: the class activation map the server computes (`plantvit.cam`, from the ONNX model's
`feature_map` output and the head's weights) beside Grad-CAM on the same model's torch checkpoint (`plantvit.explain`,
the `grad-cam` package), over the val photos (issue 18).

For the same photos and the same target (the torch model's joint answer), per source: the median share of each map's
weight on the leaf (`plantvit.cam.leaf_mask`, the mask `10a_robustness` cuts backgrounds with), the leaf's share of the
photo, the share of photos whose map puts more of its weight on the leaf than the leaf's share of the photo (the rule
`plantvit.predict.evidence_sentence` uses), and how close the two maps are (Pearson correlation at the input's size).
For this head (linear on the pooled feature map) the two are the same map up to a scale, in exact arithmetic; the
FP32 ONNX map should match Grad-CAM to rounding, the INT8 one to quantization.

The shipped bundle's checkpoint is not in the repository, so the script trains one the recorded way unless given one:

    PLANTVIT_DATA=$(realpath ../shared/data) .venv/bin/python bench/cam_vs_gradcam.py --data runs/organized-5   # ~10 min on 2 cores
    .venv/bin/python bench/cam_vs_gradcam.py --checkpoint runs/lite0-192/best.pt --data runs/organized-5      # the shipped model's
    .venv/bin/python bench/cam_vs_gradcam.py --table

Results: bench/results/cam_vs_gradcam.json (rendered by nbs/05f_cam.ipynb).
"""
import argparse, json, subprocess, sys, tempfile, time
from pathlib import Path
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
RESULTS = Path(__file__).parent / 'results' / 'cam_vs_gradcam.json'

def train(data: Path, out: Path, size: int, epochs: int) -> Path:
    "A checkpoint trained by `plantvit train` (the recorded recipe, shorter), when none is given."
    cmd = [sys.executable, '-m', 'plantvit.cli', 'train', str(data), '--out', str(out), '--size', str(size), '--epochs', str(epochs)]
    print('$', ' '.join(cmd), flush=True)
    subprocess.run(cmd, check=True)
    return out / 'best.pt'

def measure(checkpoint: Path, data: Path, work: Path, bs: int = 16, limit: int | None = None) -> dict:
    "Grad-CAM (torch) and the bundle's CAM (FP32 and INT8 ONNX) on every val photo of `data`: shares on the leaf, per source."
    from plantvit.export import export_bundle
    from plantvit.bundle import Bundle
    from plantvit.cam import ClassActivation, leaf_share, model_view, upsample, view_mask
    from plantvit.explain import grad_cam
    from plantvit.manifest import read_manifest
    from plantvit.model import load_checkpoint
    bdir = work / 'bundle'
    if not (bdir / 'bundle.json').exists(): export_bundle(checkpoint, bdir, manifest_dir=data, verbose=False)
    b = Bundle(bdir)
    model, tax, prep, _ = load_checkpoint(checkpoint)
    prep_d = prep.to_dict()
    rows, _ = read_manifest(data)
    rows = rows[rows.split == 'val'].reset_index(drop=True)
    if limit: rows = rows.groupby('source', observed=True).head(limit).reset_index(drop=True)
    cams = {k: ClassActivation(b, k) for k in ('fp32', 'int8')}
    out = []
    for i in range(0, len(rows), bs):
        paths = rows.path[i:i + bs].tolist()
        gc, answer = grad_cam(model, paths, prep_d)
        x = b.prepare(*paths)
        o = {k: b.run(x, kind=k, outputs=b.meta['outputs']) for k in cams}
        for j, pid in enumerate(answer):
            pid = int(pid); s = int(tax.pair_species[pid])
            mask = view_mask(model_view(x[j], b.preprocessing))
            side = gc[j].shape[::-1]                                  # Grad-CAM's maps come at the input's size
            r = {'source': str(rows.source[i + j]), 'leaf_area': None if mask.all() else float(mask.mean()), 'grad_cam': leaf_share(gc[j], mask)}
            for k, cam in cams.items():
                m = cam(o[k], j, s, pid)
                r[f'cam_{k}'] = leaf_share(m, mask)
                r[f'corr_{k}'] = float(np.corrcoef(upsample(m, side).ravel(), gc[j].ravel())[0, 1]) if m.max() > 0 and gc[j].std() > 0 else None
            out.append(r)
        print(f'{min(i + bs, len(rows))}/{len(rows)} photos', end='\r', flush=True)
    return summarise(out)

def summarise(per_photo: list[dict]) -> dict:
    "Per source and overall: photos, medians of each map's share on the leaf and of the leaf's area, share above the leaf's area, correlations."
    import pandas as pd
    t = pd.DataFrame(per_photo)
    def one(g):
        v = g.dropna(subset=['leaf_area'])
        d = {'photos': len(g), 'leaf_found': len(v), 'leaf_of_photo': float(v.leaf_area.median())}
        for k in ('grad_cam', 'cam_fp32', 'cam_int8'):
            d[f'{k}_on_leaf'] = float(v[k].median()); d[f'{k}_above_leaf_share'] = float((v[k] > v.leaf_area).mean())
        for k in ('fp32', 'int8'): d[f'corr_{k}_median'] = float(g[f'corr_{k}'].median()); d[f'corr_{k}_min'] = float(g[f'corr_{k}'].min())
        return d
    return {'sources': {s: one(g) for s, g in t.groupby('source')}, 'overall': one(t)}

def table(res: dict):
    "The results as a DataFrame, a row per source."
    import pandas as pd
    return pd.DataFrame({**res['result']['sources'], 'all': res['result']['overall']}).T

def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--data', type=Path, default=ROOT / 'runs' / 'organized-5', help='an organized data folder (its val split)')
    ap.add_argument('--checkpoint', type=Path, help='a training checkpoint (default: train one, --size/--epochs)')
    ap.add_argument('--size', type=int, default=128); ap.add_argument('--epochs', type=int, default=2)
    ap.add_argument('--work', type=Path, help='where the trained run and its bundle go (default: a temporary folder)')
    ap.add_argument('--limit', type=int, help='at most this many val photos a source (a quick run)')
    ap.add_argument('--table', action='store_true', help='print the results file and stop')
    a = ap.parse_args(argv)
    if a.table: print(table(json.loads(RESULTS.read_text())).to_string()); return 0
    work = a.work or Path(tempfile.mkdtemp(prefix='plantvit-cam-bench-'))
    t0 = time.time()
    ck = a.checkpoint or (work / 'run' / 'best.pt' if (work / 'run' / 'best.pt').exists() else train(a.data, work / 'run', a.size, a.epochs))
    res = measure(ck, a.data, work, limit=a.limit)
    record = {'checkpoint': str(ck) if a.checkpoint else f'plantvit train --size {a.size} --epochs {a.epochs} (made by this script)',
              'data': str(a.data), 'seconds': round(time.time() - t0), 'result': res}
    RESULTS.parent.mkdir(exist_ok=True); RESULTS.write_text(json.dumps(record, indent=1) + '\n')
    print(table(record).to_string())
    return 0

if __name__ == '__main__': sys.exit(main())
