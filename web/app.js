// plantvit web app. The small browser model (TF.js, from the bundle's browser/ folder) answers a photo at once when it
// is confident and the photo looks like a leaf; every other photo goes to the server's POST /predict, as does every
// photo when the model cannot load. The rules and thresholds are plantvit.browser's (routing.json).
// Offline (sw.js caches the page, TF.js and the model): the browser model still answers what it is confident about; a
// photo for the server is kept in IndexedDB and sent when the connection returns.
const $ = (id) => document.getElementById(id);
const pct = (p) => `${Math.round(100 * p)}%`;
const params = new URLSearchParams(location.search);
const state = { model: null, routing: null, taxonomy: null, backend: null, loadMs: null, lastAnswer: null, error: null, seq: 0,
                offlineVersion: null, queued: 0, sent: [] };
// = plantvit.predict.MIN_CONFIDENCE: no answer below it goes out without an escalation, the browser's included.
const MIN_CONFIDENCE = 0.5;

async function getJSON(url) {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: ${res.status}`);
  return res.json();
}

async function loadModel() {
  const t0 = performance.now();
  state.routing = await getJSON('/browser/routing.json');
  // The browser's own taxonomy (its species, maybe fewer than the server's, and an "other" species) comes with its
  // model; a bundle made before that has none, and its browser knows the server's /taxonomy.
  setTaxonomy(state.routing.taxonomy || await getJSON('/taxonomy'));
  const backend = params.get('backend') || 'wasm';
  if (backend === 'wasm') tf.wasm.setWasmPaths('/node_modules/@tensorflow/tfjs-backend-wasm/dist/');
  await tf.setBackend(backend);
  await tf.ready();
  state.backend = tf.getBackend();
  state.model = await tf.loadGraphModel('/browser/model.json');
  const [h, w] = state.routing.input.size;
  tf.tidy(() => state.model.execute(tf.zeros([1, h, w, 3]), Object.values(state.routing.outputs)));  // compile once
  state.loadMs = performance.now() - t0;
  $('model').textContent += ` · browser model: ${state.routing.quantization}, ${state.backend}, loaded in ${Math.round(state.loadMs)} ms`;
}
const ready = loadModel().catch((e) => { state.error = String(e); console.warn('browser model unavailable:', e); });

// The photo → the model's NHWC input: shorter side to `resize`, centre crop `size`, scaled to [0, 1], normalised.
async function prepare(file) {
  const inp = state.routing.input;
  const [size] = inp.size;
  const bmp = await createImageBitmap(file, { imageOrientation: 'from-image' });
  const scale = inp.resize / Math.min(bmp.width, bmp.height);
  const side = size / scale;   // the crop's side in the photo's pixels
  const canvas = new OffscreenCanvas(size, size);
  const ctx = canvas.getContext('2d');
  ctx.imageSmoothingEnabled = true; ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(bmp, (bmp.width - side) / 2, (bmp.height - side) / 2, side, side, 0, 0, size, size);
  const px = ctx.getImageData(0, 0, size, size).data;
  const x = new Float32Array(size * size * 3);
  for (let i = 0, j = 0; i < px.length; i += 4, j += 3)
    for (let c = 0; c < 3; c++) x[j + c] = (px[i + c] / 255 - inp.mean[c]) / inp.std[c];
  return x;
}

// Run the model on one NHWC input; {name: Float32Array} for the bundle's output names.
async function runModel(x) {
  const [h, w] = state.routing.input.size;
  const names = Object.keys(state.routing.outputs);
  const input = tf.tensor4d(x, [1, h, w, 3]);
  const outs = state.model.execute(input, names.map((n) => state.routing.outputs[n]));
  const arrays = await Promise.all(outs.map((t) => t.data()));
  tf.dispose([input, ...outs]);
  return Object.fromEntries(names.map((n, i) => [n, Array.from(arrays[i])]));
}

// The taxonomy the browser model answers in, and its classes by pair id (built once, not per photo).
function setTaxonomy(tax) {
  state.taxonomy = tax;
  state.pairs = [];
  for (const x of tax.species)
    for (const d of x.diseases) state.pairs[d.pair_id] = { species: x.name, disease: d.name, pair_id: d.pair_id, label: d.flat_label };
}

// The `k` largest values of `values`: their indices, largest first, in one pass (no sort of every class).
function topK(values, k) {
  const idx = [];
  for (let i = 0; i < values.length; i++) {
    if (idx.length === k && values[i] <= values[idx[k - 1]]) continue;
    let j = Math.min(idx.length, k - 1);
    while (j > 0 && values[idx[j - 1]] < values[i]) { idx[j] = idx[j - 1]; j--; }
    idx[j] = i;
  }
  return idx;
}

// plantvit.browser.route, in JavaScript: species first, then its best disease; confidence and logsumexp. Work per
// photo: one pass over the species, one over the classes (the top 3), and the answered species' diseases.
function route(out) {
  const tax = state.taxonomy, logits = out.species_logits;
  let m = -Infinity, s = 0, z = 0;
  for (let i = 0; i < logits.length; i++) if (logits[i] > m) { m = logits[i]; s = i; }
  for (let i = 0; i < logits.length; i++) z += Math.exp(logits[i] - m);
  const sp = tax.species[s];
  let best = null;
  for (const d of sp.diseases) if (best === null || out.disease_logp[d.pair_id] > out.disease_logp[best.pair_id]) best = d;
  const otherName = tax.other != null ? tax.species[tax.other].name : null;   // "other" is no diagnosis: never in the top 3
  const top3 = topK(out.joint_probs, otherName === null ? 3 : 4).filter((p) => state.pairs[p].species !== otherName).slice(0, 3)
    .map((p) => ({ ...state.pairs[p], probability: out.joint_probs[p] }));
  const conf = (1 / z) * Math.exp(out.disease_logp[best.pair_id]);
  return { species: sp.name, disease: best.name, pair_id: best.pair_id, confidence: conf, lse: m + Math.log(z), top3,
           single: sp.diseases.length === 1, other: tax.other != null && s === tax.other };
}

async function askBrowser(file) {
  await ready;
  if (!state.model) return null;
  const t0 = performance.now();
  const r = route(await runModel(await prepare(file)));
  const th = state.routing.thresholds;
  state.lastRoute = r;   // what the browser model said, answered or not
  if (r.confidence < Math.max(th.confidence, MIN_CONFIDENCE) || r.lse <= th.plant_energy) return null;   // unsure, or maybe not a leaf
  if (r.single) return null;   // a species known in one condition only: the server says what that means
  if (r.other) return null;    // a species the browser does not know: the server does
  const second = r.top3.find((t) => t.species === r.species && t.disease !== r.disease);
  return { species: r.species, disease: r.disease, pair_id: r.pair_id, confidence: r.confidence, level: 'disease',
           outcome: 'confident', escalation: null, message: `${r.species} — ${r.disease} (${pct(r.confidence)}).`,
           rationale: `Answered on this device: ${r.disease.toLowerCase()} is the most likely condition of ${r.species.toLowerCase()} (${pct(r.confidence)})`
             + (second ? `, ahead of ${second.disease.toLowerCase()} (${pct(second.probability)}).` : '.'),
           top3: r.top3, latency_ms: Math.round(performance.now() - t0) };
}

// The server's answer, with its rationale, its case code and (shown on request) the heat map of where the evidence lies.
// The photo is kept with the case only when the box is ticked.
// No connection to the server (the request never got an answer): the photo can wait in the queue.
class Offline extends Error {}
// The server's answer was an error: `retry` when it may pass later (busy, down), not for a photo it refuses.
class ServerError extends Error { constructor(message, status) { super(message); this.status = status; this.retry = status >= 500 || status === 429; } }

async function askServer(file, storePhoto = $('store-photo').checked) {
  if (navigator.onLine === false) throw new Offline('no connection');
  const form = new FormData();
  form.append('image', file, file.name || 'photo.jpg');
  form.append('store_photo', storePhoto ? 'true' : 'false');
  const t0 = performance.now();
  let res;
  try { res = await fetch('/predict?explain=1', { method: 'POST', body: form }); } catch (e) { throw new Offline(e.message); }
  const body = await res.json().catch(() => ({ detail: `the server answered ${res.status}` }));
  if (!res.ok) throw new ServerError(body.detail || `the server answered ${res.status}`, res.status);
  return { ...body, round_trip_ms: Math.round(performance.now() - t0) };
}

function show(pred, answeredBy, ms) {
  $('error').hidden = true; $('saved').hidden = true;
  const r = $('result');
  r.hidden = false;
  r.className = `level-${pred.level}`;
  $('badge').textContent = `answered by the ${answeredBy}`;
  $('badge').className = `badge ${answeredBy}`;
  $('latency').textContent = `${Math.round(ms)} ms`;
  $('headline').textContent = pred.level === 'none' ? 'No diagnosis'
    : pred.level === 'species' ? `${pred.species} — disease uncertain`
    : `${pred.species} — ${pred.disease} (${pct(pred.confidence)})`;
  $('message').textContent = pred.message;
  $('message').hidden = pred.level === 'disease';   // the headline says it all
  const body = $('top3').querySelector('tbody');
  body.replaceChildren(...pred.top3.map((t) => {
    const tr = document.createElement('tr');
    tr.innerHTML = '<td></td><td></td>';
    tr.children[0].textContent = `${t.species} — ${t.disease}`;
    tr.children[1].textContent = pct(t.probability);
    return tr;
  }));
  $('top3').hidden = pred.level === 'none';
  const esc = pred.escalation;
  $('escalation').hidden = !esc;
  $('escalation').textContent = esc ? `${esc.action === 'ask_expert' ? 'Ask an extension officer' : 'Retake the photo'}: ${esc.reason}.` : '';
  $('rationale').textContent = pred.rationale || '';
  $('show-heatmap').hidden = !pred.heatmap;
  $('heatmap-box').hidden = true;
  if (pred.heatmap) $('heatmap').src = pred.heatmap;
  $('case').hidden = !pred.case_id;
  $('case-code').textContent = pred.case_id || '';
  $('sms').textContent = ''; $('sms-length').textContent = ''; state.lastSms = null;
  if (pred.case_id) showSms(pred.case_id);
  $('to-server').hidden = answeredBy !== 'browser';
}

// The SMS an officer or a gateway would send for this case (GET /cases/{code}/sms).
async function showSms(code) {
  try {
    const s = await getJSON(`/cases/${encodeURIComponent(code)}/sms`);
    if ($('case-code').textContent !== code) return;   // another photo was chosen meanwhile
    $('sms').textContent = s.sms; $('sms-length').textContent = String(s.length);
    state.lastSms = s;
  } catch (e) { $('sms').textContent = `(the text message could not be fetched: ${e.message})`; }
}

function fail(text) {
  $('result').hidden = true; $('saved').hidden = true;
  $('error').hidden = false;
  $('error').textContent = text;
}

async function diagnose(file) {
  const t0 = performance.now(), seq = ++state.seq;   // a later photo's answer wins: an earlier one arriving late is dropped
  $('preview').hidden = false;
  $('preview-img').src = URL.createObjectURL(file);
  let pred = null, by = 'browser';
  try { pred = await askBrowser(file); } catch (e) { console.warn('browser model failed, asking the server:', e); }
  try {
    if (pred === null) {
      by = 'server';
      try { pred = await askServer(file); } catch (e) {
        if (!(e instanceof Offline)) throw e;
        const id = await enqueue(file, $('store-photo').checked);   // kept until the connection returns
        if (seq !== state.seq) return state.lastAnswer;
        state.lastAnswer = { answeredBy: 'queue', queued: id };
        showQueued();
        return state.lastAnswer;
      }
    }
    if (seq !== state.seq) return state.lastAnswer;
    const ms = performance.now() - t0;
    state.lastAnswer = { answeredBy: by, ms, prediction: pred };
    show(pred, by, ms);
  } catch (e) {
    if (seq !== state.seq) return state.lastAnswer;
    state.lastAnswer = { answeredBy: by, error: e.message };
    fail(`Could not diagnose this photo: ${e.message}`);
  }
  return state.lastAnswer;
}

$('photo').addEventListener('change', (ev) => { if (ev.target.files[0]) diagnose(ev.target.files[0]); });
$('show-heatmap').addEventListener('click', () => { $('heatmap-box').hidden = false; $('show-heatmap').hidden = true; });
// A browser answer keeps no case: this asks the server for the same photo, which answers with a case code.
$('to-server').addEventListener('click', async () => {
  const file = $('photo').files[0];
  if (!file) return;
  const t0 = performance.now(), seq = state.seq;
  $('to-server').disabled = true;   // one request, one case
  try {
    const pred = await askServer(file);
    if (seq !== state.seq) return;   // another photo was chosen meanwhile
    state.lastAnswer = { answeredBy: 'server', ms: performance.now() - t0, prediction: pred };
    show(pred, 'server', performance.now() - t0);
  } catch (e) {
    if (seq !== state.seq) return;
    if (!(e instanceof Offline)) { fail(`Could not reach the server: ${e.message}`); return; }
    const id = await enqueue(file, $('store-photo').checked);   // the answer on screen stays; the case code comes later
    state.lastAnswer = { ...(state.lastAnswer || {}), queued: id };
    $('saved').hidden = false;
    $('saved').textContent = 'No connection: saved — will be checked when you are online, and a case code will come then.';
  }
  finally { $('to-server').disabled = false; }
});

// ---- Offline: the queue of photos waiting for the server (IndexedDB), and the service worker (sw.js) ----
let database = null;
const request = (r) => new Promise((resolve, reject) => { r.onsuccess = () => resolve(r.result); r.onerror = () => reject(r.error); });
function openQueue() {
  if (database === null) {
    const r = indexedDB.open('plantvit', 1);
    r.onupgradeneeded = () => r.result.createObjectStore('queue', { keyPath: 'id', autoIncrement: true });
    database = request(r);
  }
  return database;
}
async function queueStore(mode) { return (await openQueue()).transaction('queue', mode).objectStore('queue'); }
async function queued() { return request((await queueStore('readonly')).getAll()); }

// Keep a photo (and the grower's choice about keeping it with the case) until it can be sent; its id in the queue.
async function enqueue(file, storePhoto) {
  const blob = new Blob([await file.arrayBuffer()], { type: file.type || 'image/jpeg' });
  const id = await request((await queueStore('readwrite')).add({ blob, name: file.name || 'photo.jpg', storePhoto, savedAt: new Date().toISOString() }));
  await showQueue();
  return id;
}

function showQueued() {
  $('result').hidden = true; $('error').hidden = true;
  $('saved').hidden = false;
  $('saved').textContent = 'No connection, and this photo needs the server: saved — will be checked when you are online.';
}

async function showQueue() {
  state.queued = (await queued()).length;
  $('queue').hidden = state.queued === 0;
  $('queue-count').textContent = state.queued === 1 ? '1 photo is waiting for a connection: it' : `${state.queued} photos are waiting for a connection: they`;
}

// Send the queued photos, oldest first; each one's answer is listed, and shown in full when it is the photo on screen.
// One tab at a time (Web Locks); a photo the server refuses (unreadable, too large) leaves the queue with its reason.
async function sendQueued() {
  if (navigator.onLine === false) return;
  const run = async () => {
    for (const item of await queued()) {
      const file = new File([item.blob], item.name, { type: item.blob.type });
      let pred = null, error = null;
      try { pred = await askServer(file, item.storePhoto); } catch (e) {
        if (e instanceof Offline || (e instanceof ServerError && e.retry)) break;   // later
        error = e.message;
      }
      await request((await queueStore('readwrite')).delete(item.id));
      state.sent.push({ id: item.id, name: item.name, savedAt: item.savedAt, prediction: pred, error });
      listChecked(item, pred, error);
      if (state.lastAnswer && state.lastAnswer.queued === item.id) {   // still on screen: show the answer in full
        if (pred) { state.lastAnswer = { answeredBy: 'server', fromQueue: item.id, ms: pred.round_trip_ms, prediction: pred }; show(pred, 'server', pred.round_trip_ms); }
        else { state.lastAnswer = { answeredBy: 'server', fromQueue: item.id, error }; fail(`Could not diagnose this photo: ${error}`); }
      }
    }
    await showQueue();
    if (state.sent.length) checkServer();   // the footer said the server was not reachable
  };
  if (state.sending) return;
  state.sending = true;
  try { await (navigator.locks ? navigator.locks.request('plantvit-queue', { ifAvailable: true }, (lock) => lock && run()) : run()); }
  catch (e) { console.warn('sending the queued photos failed:', e); }
  finally { state.sending = false; }
}

function listChecked(item, pred, error) {
  const li = document.createElement('li');
  const when = new Date(item.savedAt).toLocaleString();
  li.textContent = error ? `${item.name} (saved ${when}): not checked, ${error}`
    : `${item.name} (saved ${when}): ${pred.message}` + (pred.case_id ? ` Case ${pred.case_id}.` : '');
  $('checked-list').append(li);
  $('checked').hidden = false;
}

// The version of what the worker caches: the app's and the bundle's (a hash of its files' checksums, from /model).
async function offlineVersion(app) {
  const m = await getJSON('/model');
  const text = JSON.stringify([app, m.manifest.files || m.manifest]);
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
  return Array.from(digest.slice(0, 8), (b) => b.toString(16).padStart(2, '0')).join('');
}

async function registerWorker(app) {
  if (!('serviceWorker' in navigator) || !window.isSecureContext) return;   // http://127.0.0.1 and localhost count as secure
  try {
    state.offlineVersion = await offlineVersion(app);
    // a new version is a new script URL: the browser installs a new worker, which replaces the old cache
    await navigator.serviceWorker.register(`/sw.js?v=${state.offlineVersion}`, { scope: '/' });
  } catch (e) { console.warn('the app will not work offline:', e); }
}

// The server's model (in the footer, beside the browser model's), and the worker for that version; false when unreachable.
async function checkServer() {
  const browserPart = $('model').textContent.match(/ · browser model: .*$/);
  try {
    const h = await getJSON('/health');
    $('model').textContent = `server model: ${h.model}, ${h.species} species, ${h.classes} classes` + (browserPart ? browserPart[0] : '');
    if (!state.offlineVersion) registerWorker(h.version);
    return true;
  } catch (e) {
    $('model').textContent = (navigator.onLine === false ? 'offline' : 'server not reachable') + (browserPart ? browserPart[0] : '');
    return false;
  }
}

window.addEventListener('online', async () => { if (await checkServer()) sendQueued(); });
// the server may come back without an 'online' event (the network was up, the server not)
setInterval(async () => { if (state.queued > 0 && await checkServer()) sendQueued(); }, 30_000);

const started = (async () => {
  await checkServer();
  await showQueue().catch((e) => console.warn('no queue for offline photos:', e));
  await sendQueued();   // photos queued on an earlier visit
})();

window.plantvit = { ready, started, state, runModel, route, prepare, diagnose, setTaxonomy, topK, sendQueued, queued };
