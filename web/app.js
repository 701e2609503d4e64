// plantvit web app: send the photo to the server's /predict and show the answer.
// (Phase 5 adds the in-browser model that answers confident photos without a request.)
const $ = (id) => document.getElementById(id);
const pct = (p) => `${Math.round(100 * p)}%`;

async function describeModel() {
  try {
    const h = await (await fetch('/health')).json();
    $('model').textContent = `model: ${h.model}, ${h.species} species, ${h.classes} classes`;
  } catch (e) { $('model').textContent = 'server not reachable'; }
}

function show(pred, answeredBy) {
  $('error').hidden = true;
  const r = $('result');
  r.hidden = false;
  r.className = `level-${pred.level}`;
  $('badge').textContent = `answered by the ${answeredBy}`;
  $('badge').className = `badge ${answeredBy}`;
  $('latency').textContent = pred.latency_ms !== undefined ? `${pred.latency_ms} ms` : '';
  $('headline').textContent = pred.level === 'none' ? 'No diagnosis'
    : pred.level === 'species' ? `${pred.species} — disease uncertain`
    : `${pred.species} — ${pred.disease} (${pct(pred.confidence)})`;
  $('message').textContent = pred.message;
  const body = $('top3').querySelector('tbody');
  body.replaceChildren(...pred.top3.map((t) => {
    const tr = document.createElement('tr');
    tr.innerHTML = '<td></td><td></td>';
    tr.children[0].textContent = `${t.species} — ${t.disease}`;
    tr.children[1].textContent = pct(t.probability);
    return tr;
  }));
  $('top3').hidden = pred.level === 'none' && pred.is_plant === false;
}

function fail(text) {
  $('result').hidden = true;
  $('error').hidden = false;
  $('error').textContent = text;
}

async function askServer(file) {
  const form = new FormData();
  form.append('image', file, file.name || 'photo.jpg');
  const res = await fetch('/predict', { method: 'POST', body: form });
  const body = await res.json().catch(() => ({ detail: `the server answered ${res.status}` }));
  if (!res.ok) throw new Error(body.detail || `the server answered ${res.status}`);
  return body;
}

$('photo').addEventListener('change', async (ev) => {
  const file = ev.target.files[0];
  if (!file) return;
  $('preview').hidden = false;
  $('preview-img').src = URL.createObjectURL(file);
  $('headline').textContent = '…';
  try { show(await askServer(file), 'server'); }
  catch (e) { fail(`Could not diagnose this photo: ${e.message}`); }
});

describeModel();
