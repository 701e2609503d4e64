"""README.md from nbs/index.ipynb, the way `nbdev_readme` would write it, without Quarto.

    python tools/readme.py           # write README.md
    python tools/readme.py --check   # exit 1 (with a diff) when README.md says something else than index.ipynb

Markdown cells are copied; code cells become ```python blocks followed by their text output; cells marked `#| hide`
are left out, and `#|` directive lines are dropped.
"""
import difflib, sys
from pathlib import Path
import nbformat

ROOT = Path(__file__).resolve().parent.parent

def _directives(src: str) -> set:
    return {l[3:].strip().split()[0] for l in src.splitlines() if l.startswith('#| ') and l[3:].strip()}

def render(nb_path=ROOT / 'nbs' / 'index.ipynb') -> str:
    nb = nbformat.read(nb_path, as_version=4)
    parts = []
    for c in nb.cells:
        if 'hide' in _directives(c.source): continue
        if c.cell_type == 'markdown': parts.append(c.source.strip()); continue
        if c.cell_type != 'code': continue
        code = '\n'.join(l for l in c.source.splitlines() if not l.startswith('#|')).strip()
        if code: parts.append(f'```python\n{code}\n```')
        for o in c.get('outputs', []):
            text = o.get('text') if o.output_type == 'stream' else o.get('data', {}).get('text/plain')
            if text: parts.append('    ' + '\n    '.join((text if isinstance(text, str) else ''.join(text)).rstrip().splitlines()))
    return '\n\n'.join(parts) + '\n'

def main():
    want, readme = render(), ROOT / 'README.md'
    if '--check' in sys.argv:
        have = readme.read_text() if readme.exists() else ''
        if have != want:
            sys.stdout.writelines(difflib.unified_diff(have.splitlines(True), want.splitlines(True), 'README.md', 'from nbs/index.ipynb'))
            sys.exit('README.md is out of step with nbs/index.ipynb: run `python tools/readme.py`')
        print('README.md matches nbs/index.ipynb')
    else:
        readme.write_text(want); print(f'wrote {readme}')

if __name__ == '__main__': main()
