"""Re-encode a notebook's large PNG figures as JPEG, as the notebook's own `set_matplotlib_formats('jpeg')` makes them
when it runs: for outputs recorded before that setting (or by slow cells not re-run since), so that every notebook stays
under 1 MB (tools/doccheck.py checks it). Usage: python tools/shrink_figures.py nbs/10_evaluate.ipynb [...] [--min-kb 100]. Large figures are also scaled to
at most 1,400 pixels wide."""
import argparse, base64, io, json, sys
from pathlib import Path
from PIL import Image

def shrink(path: Path, min_kb: int = 100, quality: int = 80, max_width: int = 1400) -> int:
    "Re-encode every image output larger than `min_kb` in notebook `path` as a JPEG at most `max_width` pixels wide; returns the bytes saved."
    nb = json.loads(path.read_text())
    before = path.stat().st_size
    for c in nb['cells']:
        for o in c.get('outputs', []):
            data = o.get('data', {})
            kind = next((k for k in ('image/png', 'image/jpeg') if k in data), None)
            if not kind: continue
            raw = base64.b64decode(''.join(data[kind]) if isinstance(data[kind], list) else data[kind])
            if len(raw) < min_kb * 1000: continue
            im = Image.open(io.BytesIO(raw)).convert('RGB')
            if im.width > max_width: im = im.resize((max_width, round(im.height * max_width / im.width)), Image.LANCZOS)
            buf = io.BytesIO(); im.save(buf, 'JPEG', quality=quality, optimize=True)
            if len(buf.getvalue()) >= len(raw): continue
            del data[kind]; data['image/jpeg'] = base64.b64encode(buf.getvalue()).decode()
            if kind != 'image/jpeg' and kind in o.get('metadata', {}): o['metadata']['image/jpeg'] = o['metadata'].pop(kind)
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + '\n')
    return before - path.stat().st_size

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('notebooks', nargs='+', type=Path); p.add_argument('--min-kb', type=int, default=100)
    a = p.parse_args()
    for nb in a.notebooks: print(f'{nb}: {shrink(nb, a.min_kb) / 1e6:.2f} MB saved, now {nb.stat().st_size / 1e6:.2f} MB')
