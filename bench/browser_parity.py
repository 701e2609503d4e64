"""Which TF.js weight quantization of the browser model holds parity with ONNX Runtime: size and top-1 agreement in
headless Chromium on the bundle's parity photos, per quantization.

Exports the student run to ONNX, converts it once per quantization (`plantvit.browser.to_tfjs`), puts each into a
temporary copy of the bundle (same routing and parity.json) and measures TF.js (wasm) against ONNX Runtime's outputs
on the same input tensors (`plantvit.webtest.tfjs_parity`). The issue's bar: agreement >= 99% and <= 5 MB.

    PLANTVIT_DATA=../shared/data .venv/bin/python bench/browser_parity.py --student runs/student-lite0-160
"""
import argparse, json, shutil, sys, tempfile
from pathlib import Path

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--student', type=Path, required=True, help='the student run (plantvit train --teacher ...)')
    ap.add_argument('--manifest', type=Path, default=Path('runs/organized'))
    ap.add_argument('--quantizations', nargs='+', default=['float16', 'uint8', 'mixed:200000', 'mixed:100000'])
    a = ap.parse_args()
    from plantvit.browser import to_tfjs, add_browser_model
    from plantvit.bundle import Bundle, default_bundle
    from plantvit.manifest import read_manifest
    from plantvit.export import export_bundle
    from plantvit.sample_data import real_data
    from plantvit.serve import server_process
    from plantvit.webtest import tfjs_parity
    if real_data() is None: sys.exit('needs $PLANTVIT_DATA: the parity photos are real val photos')
    shipped = Bundle(default_bundle())
    routing = json.loads((shipped.path / 'browser' / 'routing.json').read_text())
    parity = json.loads((shipped.path / 'browser' / 'parity.json').read_text())
    manifest, _ = read_manifest(a.manifest)
    photos = manifest[manifest.split == 'train'].groupby('pair_id', observed=True).head(3).path.tolist()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        student = Bundle(export_bundle(a.student / 'best.pt', tmp / 'student', manifest_dir=a.manifest, verbose=False))
        for q in a.quantizations:
            conv = to_tfjs(student.model_path('fp32'), tmp / f'tfjs-{q}', photos, q)
            b = tmp / f'bundle-{q}'; shutil.copytree(shipped.path, b)
            add_browser_model(b, tmp / f'tfjs-{q}', student.preprocessing, conv, routing['thresholds'], routing['report'],
                              parity={'photos': parity['photos'], 'outputs': {k: parity[k] for k in ('species_logits', 'disease_logp', 'joint_probs')}})
            with server_process({'PLANTVIT_BUNDLE': str(b)}) as (url, _): par = tfjs_parity(url, parity, real_data())
            row = {'quantization': q, 'MB': conv['bytes'] / 1e6, **{k: par[k] for k in ('photos', 'species_top1_agreement', 'joint_top1_agreement')},
                   'max_abs_diff_joint': par['max_abs_diff']['joint_probs'], 'max_abs_diff_species_logits': par['max_abs_diff']['species_logits']}
            rows.append(row); print(json.dumps(row), flush=True)
    print('\n| weights | size | photos | species top-1 agreement | joint top-1 agreement | max abs diff (joint probs) | max abs diff (species logits) |')
    print('|---|---|---|---|---|---|---|')
    for r in rows:
        print(f"| {r['quantization']} | {r['MB']:.2f} MB | {r['photos']} | {100 * r['species_top1_agreement']:.1f}% | "
              f"{100 * r['joint_top1_agreement']:.1f}% | {r['max_abs_diff_joint']:.4f} | {r['max_abs_diff_species_logits']:.4f} |")

if __name__ == '__main__': main()
