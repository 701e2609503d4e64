"""Docs check CI can run without Quarto: every public name a module exports (its `__all__`) and every public method
of an exported class has a docstring, every exported function and class is shown with `show_doc` in the notebook
it comes from, every notebook is in the docs' sidebar and under 1 MB,
and no notebook's outputs show figures of another metrics.json than the shipped bundle's (`figures_stamp`). Usage: python tools/doccheck.py  (exit status 1 and a list when something is missing)."""
import importlib, inspect, json, re, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

def notebook_of(module: str) -> Path:
    "The notebook whose `#| default_exp` is `module`."
    for nb in sorted((ROOT / 'nbs').glob('*.ipynb')):
        cells = json.loads(nb.read_text())['cells']
        if any(re.search(rf'^#\|\s*default_exp\s+{re.escape(module)}\s*$', ''.join(c['source']), re.M) for c in cells): return nb
    raise SystemExit(f'no notebook exports plantvit.{module}')

def own_doc(obj) -> str:
    "The object's own docstring (dataclasses' generated signature docstrings do not count)."
    d = inspect.getdoc(obj) if not inspect.isclass(obj) else obj.__dict__.get('__doc__')
    if inspect.isclass(obj) and d and re.match(rf'{obj.__name__}\(', d): return ''
    return (d or '').strip()

def problems() -> list[str]:
    out = []
    for py in sorted((ROOT / 'plantvit').glob('*.py')):
        if py.name.startswith('_'): continue
        mod = importlib.import_module(f'plantvit.{py.stem}')
        names = getattr(mod, '__all__', [])
        if not names: continue
        nb = notebook_of(py.stem); src = nb.read_text()
        for n in names:
            obj = getattr(mod, n)
            if not (inspect.isfunction(obj) or inspect.isclass(obj)): continue      # constants are documented in prose
            if not own_doc(obj): out.append(f'plantvit.{py.stem}.{n}: no docstring')
            # the whole name: `show_doc(Predictor.predict)` documents a method, not the class `Predictor`
            if not re.search(rf'show_doc\(\s*{re.escape(n)}\s*[,)]', src): out.append(f'plantvit.{py.stem}.{n}: not shown with show_doc in {nb.name}')
            if inspect.isclass(obj):
                for m, f in vars(obj).items():
                    if m.startswith('_') or not (inspect.isfunction(f) or isinstance(f, (property, classmethod, staticmethod))): continue
                    fn = f.fget if isinstance(f, property) else getattr(f, '__func__', f)
                    if not (inspect.getdoc(fn) or '').strip(): out.append(f'plantvit.{py.stem}.{n}.{m}: no docstring')
    out += [f'{nb.name}: {nb.stat().st_size / 1e6:.2f} MB, over 1 MB (python tools/shrink_figures.py {nb.relative_to(ROOT)})'
            for nb in sorted((ROOT / 'nbs').glob('*.ipynb')) if nb.stat().st_size > 1_000_000]
    import yaml
    for q in (ROOT / '_quarto.yml', ROOT / 'nbs' / '_quarto.yml'):   # every file a Quarto config names must exist beside it
        cfg = yaml.safe_load(q.read_text())
        named = [*cfg.get('metadata-files', []), *(f for f in [cfg.get('format', {}).get('html', {}).get('css')] if f)]
        out += [f'{q.relative_to(ROOT)}: names {f}, which is not there' for f in named if not (q.parent / f).exists()]
    out += stale_figures()
    sidebar = (ROOT / 'nbs' / 'sidebar.yml').read_text()
    out += [f'{nb.name}: not in nbs/sidebar.yml' for nb in sorted((ROOT / 'nbs').glob('*.ipynb')) if nb.name not in sidebar]
    return out

READS_SHIPPED = re.compile(r'default_bundle\(\)|Predictor\(\s*(threads=\w+)?\s*\)')      # a test or example cell that reads the shipped bundle
STAMP = re.compile(r'figures read from default/metrics\.json, sha256 ([0-9a-f]{12})')   # plantvit.metrics.figures_stamp

def _outputs(cell: dict) -> str:
    "The text a code cell's committed outputs show."
    return ''.join(''.join(o.get('text', '')) + ''.join(o.get('data', {}).get('text/plain', '')) for o in cell.get('outputs', []))

def stale_figures() -> list[str]:
    "Notebooks whose committed outputs show another metrics.json than the shipped bundle's, or that read it without saying which."
    shipped = json.loads((ROOT / 'plantvit' / 'bundles' / 'default' / 'bundle.json').read_text())['files']['metrics.json'][:12]
    out = []
    for nb in sorted((ROOT / 'nbs').glob('*.ipynb')):
        cells = [c for c in json.loads(nb.read_text())['cells'] if c['cell_type'] == 'code']
        stamps = set(STAMP.findall(''.join(map(_outputs, cells))))
        if stamps - {shipped}:
            out.append(f"{nb.name}: its outputs show figures of metrics.json {', '.join(sorted(stamps - {shipped}))}, the shipped bundle's is "
                       f"{shipped}: re-run it (PLANTVIT_DATA=... .venv/bin/python tools/run_nb.py nbs/{nb.name})")
        elif not stamps and any(READS_SHIPPED.search(''.join(c['source'])) for c in cells if not ''.join(c['source']).startswith('#|')):
            out.append(f"{nb.name}: reads the shipped bundle but its outputs print no figures_stamp (plantvit.metrics)")
    return out

if __name__ == '__main__':
    p = problems()
    print('\n'.join(p) if p else 'docs check: every exported function and class has a docstring and a show_doc')
    sys.exit(1 if p else 0)
