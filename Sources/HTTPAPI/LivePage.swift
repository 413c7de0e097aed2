/// The live dashboard (`GET /`): one HTML document with its CSS and JavaScript inline (no CDN, no
/// files at run time). It polls `/api/summary` every 2 s and, when a new frame was committed,
/// redraws: the latest frame's PNG with the fitted columns coloured by atom count and the tracks'
/// recent paths (SVG overlay), the cross-section histogram with the frame's mixture model and
/// its ICL curve, atoms/columns against time and temperature, facet lengths per family against
/// time, and the latest events. Series are fetched incrementally (`after=` the last frame seen).
///
/// For tests and headless checks the page sets `data-state` on `<body>`: `rendered` once every
/// panel drew with no script error, `error` (with the message in `#errors`) otherwise.
enum LivePage {
    static let html = #"""
<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>stemtrack live</title>
<style>
body{font-family:sans-serif;margin:12px;background:#f4f4f4;color:#222}
h1{font-size:18px;margin:0 0 6px 0}
#status{font-size:13px;margin-bottom:8px}
#errors{color:#b00;font-size:13px}
.grid{display:grid;grid-template-columns:repeat(3,1fr);gap:10px}
.panel{background:#fff;border:1px solid #ccc;padding:6px;min-height:120px}
.panel h2{font-size:13px;margin:0 0 4px 0}
.wide{grid-column:span 2}
svg{display:block;width:100%;height:auto}
table{border-collapse:collapse;font-size:11px;width:100%}
td,th{border-bottom:1px solid #ddd;padding:2px 4px;text-align:right}
#note{color:#a60;font-size:12px}
.legend span{display:inline-block;width:14px;height:10px;margin:0 2px 0 8px}
</style></head>
<body data-state="loading">
<h1>stemtrack — live</h1>
<div id="status">connecting…</div>
<div id="errors"></div>
<div class="grid">
 <div class="panel"><h2 id="frameTitle">Latest frame</h2><div id="frame"></div><div id="note"></div><div id="legend" class="legend"></div></div>
 <div class="panel"><h2>Cross-sections and mixture model</h2><div id="hist"></div></div>
 <div class="panel"><h2>ICL (number of components)</h2><div id="icl"></div></div>
 <div class="panel"><h2>Atoms against time</h2><div id="atomsTime"></div></div>
 <div class="panel"><h2>Columns against time</h2><div id="columnsTime"></div></div>
 <div class="panel"><h2>Atoms against temperature</h2><div id="atomsTemp"></div></div>
 <div class="panel"><h2>Facet length per family against time</h2><div id="facets"></div></div>
 <div class="panel"><h2>Facet length per family against temperature</h2><div id="facetsTemp"></div></div>
 <div class="panel wide"><h2>Events (latest 40)</h2><div id="events"></div></div>
</div>
<script>
"use strict";
const NS = "http:" + "//www.w3.org/2000/svg";
const errors = [];
function fail(msg){ errors.push(String(msg)); document.getElementById("errors").textContent = errors.join("; "); document.body.dataset.state = "error"; }
window.onerror = function(msg, src, line){ fail(msg + " (line " + line + ")"); };
window.addEventListener("unhandledrejection", function(e){ fail("unhandled: " + (e.reason && e.reason.message || e.reason)); });

const state = {frames: [], facets: [], lastFrame: -1, lastFacetFrame: -1, shownFrame: null, models: {}, start: null, busy: false};
const palette = ["#1f77b4","#ff7f0e","#2ca02c","#d62728","#9467bd","#8c564b","#e377c2","#7f7f7f","#bcbd22","#17becf"];

async function get(path){
  const r = await fetch(path);
  if (!r.ok) { let m = r.status + ""; try { m += " " + (await r.json()).error; } catch(e) {} throw new Error(path + ": " + m); }
  return r.json();
}
function el(name, attrs, parent){ const e = document.createElementNS(NS, name); for (const k in attrs) e.setAttribute(k, attrs[k]); if (parent) parent.appendChild(e); return e; }
function fmt(v){ const a = Math.abs(v); if (a !== 0 && (a < 1e-3 || a >= 1e5)) return v.toExponential(1); return String(Math.round(v*1e4)/1e4); }
function ticks(lo, hi){ const raw = (hi-lo)/5, mag = Math.pow(10, Math.floor(Math.log10(raw))); const step = [1,2,5,10].map(s=>s*mag).find(s=>s>=raw) || raw; const out=[]; for (let t=Math.ceil(lo/step)*step; t<=hi+1e-9*(hi-lo); t+=step) out.push(t); return out; }
function extent(vs){ let lo=Infinity, hi=-Infinity; for (const v of vs) if (isFinite(v)) { lo=Math.min(lo,v); hi=Math.max(hi,v); } if (!isFinite(lo)) return [0,1]; if (lo===hi) return [lo-1, hi+1]; const pad=(hi-lo)*0.04; return [lo-pad, hi+pad]; }

/** A chart: {x:[lo,hi], y:[lo,hi], xLabel, yLabel, series:[{points:[[x,y]], colour, kind:'line'|'dots'|'bars', label}]} */
function chart(target, spec){
  const W=420, H=260, L=58, R=10, T=10, B=38;
  const box = document.getElementById(target); box.innerHTML = "";
  const svg = el("svg", {viewBox: "0 0 "+W+" "+H, "data-chart": target}, box);
  const [x0,x1] = spec.x, [y0,y1] = spec.y;
  const px = v => L + (v-x0)/(x1-x0)*(W-L-R), py = v => H-B - (v-y0)/(y1-y0)*(H-T-B);
  el("path", {d: "M"+L+" "+T+" V"+(H-B)+" H"+(W-R), stroke:"#000", fill:"none"}, svg);
  for (const t of ticks(x0,x1)) { el("line",{x1:px(t),x2:px(t),y1:H-B,y2:H-B+4,stroke:"#000"},svg); const s=el("text",{x:px(t),y:H-B+15,"font-size":10,"text-anchor":"middle"},svg); s.textContent=fmt(t); }
  for (const t of ticks(y0,y1)) { el("line",{x1:L-4,x2:L,y1:py(t),y2:py(t),stroke:"#000"},svg); const s=el("text",{x:L-6,y:py(t)+3,"font-size":10,"text-anchor":"end"},svg); s.textContent=fmt(t); }
  const xl = el("text",{x:(L+W-R)/2,y:H-4,"font-size":11,"text-anchor":"middle"},svg); xl.textContent = spec.xLabel;
  const yl = el("text",{transform:"translate(12,"+((T+H-B)/2)+") rotate(-90)","font-size":11,"text-anchor":"middle"},svg); yl.textContent = spec.yLabel;
  let drawn = 0, ly = T + 8;
  for (const s of spec.series) {
    const pts = s.points.filter(p => isFinite(p[0]) && isFinite(p[1]));
    if (s.kind === "bars") {
      for (const b of s.bars) { if (b.value <= 0) continue; el("rect",{x:px(b.lo),y:py(b.value),width:Math.max(0.5,px(b.hi)-px(b.lo)),height:py(y0)-py(b.value),fill:s.colour,stroke:"#fff","stroke-width":0.5},svg); drawn++; }
    } else if (s.kind === "dots") {
      for (const p of pts) { el("circle",{cx:px(p[0]),cy:py(p[1]),r:2,fill:s.colour},svg); drawn++; }
    } else if (pts.length) {
      el("polyline",{points: pts.map(p => px(p[0]).toFixed(1)+","+py(p[1]).toFixed(1)).join(" "), fill:"none", stroke:s.colour, "stroke-width":1.5}, svg); drawn += pts.length;
    }
    if (s.label) { el("rect",{x:W-R-120,y:ly-8,width:10,height:10,fill:s.colour},svg); const t=el("text",{x:W-R-106,y:ly+1,"font-size":10},svg); t.textContent=s.label; ly += 13; }
  }
  if (!drawn) { const t = el("text",{x:(L+W-R)/2,y:(T+H-B)/2,"font-size":12,"text-anchor":"middle",fill:"#888"},svg); t.textContent = "no data yet"; }
  svg.dataset.points = drawn;
  return drawn;
}

function countColour(n, lo, hi){
  if (n === null || n === undefined) return "#999";
  const t = hi > lo ? (n-lo)/(hi-lo) : 0.5;
  return "hsl(" + Math.round(240 - 240*t) + ",90%,50%)";
}

async function drawFrame(n){
  const [cols, paths] = await Promise.all([get("/api/frames/"+n+"/columns"), get("/api/frames/"+n+"/paths?length=20")]);
  const w = cols.imageWidth || Math.max(...cols.columns.map(c=>c.x_px)) + 10, h = cols.imageHeight || Math.max(...cols.columns.map(c=>c.y_px)) + 10;
  const box = document.getElementById("frame"); box.innerHTML = "";
  const svg = el("svg",{viewBox:"-0.5 -0.5 "+w+" "+h, id:"frameSVG", style:"background:#000"}, box);
  const img = el("image",{href:"/api/frames/"+n+"/image.png", x:-0.5, y:-0.5, width:w, height:h, preserveAspectRatio:"none"}, svg);
  const imageDone = new Promise(resolve => {
    img.addEventListener("load", () => { svg.dataset.image = "loaded"; document.getElementById("note").textContent = ""; resolve(); });
    img.addEventListener("error", () => { svg.dataset.image = "missing"; svg.style.background = "#fff";
      document.getElementById("note").textContent = "Image file of frame " + n + " not found: columns shown on a blank background."; resolve(); });
  });
  const counts = cols.columns.map(c => c.count).filter(c => c !== null && c !== undefined);
  const lo = counts.length ? Math.min(...counts) : 0, hi = counts.length ? Math.max(...counts) : 1;
  const r = Math.max(1.5, Math.min(w, h) / 160);
  for (const p of paths.paths) {
    if (p.x.length < 2) continue;
    el("polyline",{points: p.x.map((x,i) => x.toFixed(2)+","+p.y[i].toFixed(2)).join(" "), fill:"none", stroke:"#ff0", "stroke-width": r*0.4, "stroke-opacity":0.8}, svg);
  }
  for (const c of cols.columns) el("circle",{cx:c.x_px, cy:c.y_px, r:r, fill:countColour(c.count, lo, hi), "fill-opacity":0.85, stroke:"#000", "stroke-width":r*0.15}, svg);
  svg.dataset.columns = cols.columns.length;
  document.getElementById("frameTitle").textContent = "Frame " + n + ": " + cols.columns.length + " columns";
  const legend = document.getElementById("legend"); legend.innerHTML = "atoms:";
  for (let k = lo; k <= hi && k - lo < 30; k++) { const s = document.createElement("span"); s.style.background = countColour(k, lo, hi); legend.appendChild(s); legend.appendChild(document.createTextNode(k)); }
  drawHistogram(cols);
  await Promise.all([imageDone, drawICL(n)]);
}

function drawHistogram(cols){
  const xs = cols.columns.map(c => c.cross_section).filter(isFinite);
  const model = state.models[cols.modelID];
  const [lo, hi] = extent(xs.concat(model ? [Math.min(...model.means) - 3*model.sigma, Math.max(...model.means) + 3*model.sigma] : []));
  // Bins of about 2σ/3 when the model's width is known (so its peaks are resolved), else ~2√n.
  const nb = model && model.sigma > 0 ? Math.max(10, Math.min(200, Math.round((hi-lo) / (model.sigma * 2/3))))
                                      : Math.max(10, Math.min(80, Math.round(Math.sqrt(xs.length) * 2)));
  const bw = (hi-lo)/nb;
  const bars = Array.from({length: nb}, (_, i) => ({lo: lo + i*bw, hi: lo + (i+1)*bw, value: 0}));
  for (const x of xs) bars[Math.min(nb-1, Math.max(0, Math.floor((x-lo)/bw)))].value += 1;
  const series = [{kind:"bars", bars, colour:"#9ecae1", points:[], label:"columns"}];
  let ymax = Math.max(1, ...bars.map(b => b.value));
  if (model) {
    const pts = [];
    for (let i = 0; i <= 300; i++) {
      const x = lo + (hi-lo)*i/300; let d = 0;
      for (let k = 0; k < model.means.length; k++) d += model.proportions[k] * Math.exp(-0.5*Math.pow((x-model.means[k])/model.sigma,2)) / (model.sigma*Math.sqrt(2*Math.PI));
      pts.push([x, d * xs.length * bw]);
    }
    ymax = Math.max(ymax, ...pts.map(p => p[1]));
    series.push({kind:"line", points:pts, colour:"#d62728", label:"model " + model.counts.length + " comp."});
  }
  chart("hist", {x:[lo,hi], y:[0, ymax*1.08], xLabel:"cross-section", yLabel:"columns", series});
}

async function drawICL(n){
  const c = await get("/api/frames/"+n+"/icl");
  const pts = c.points.map(p => [p.components, p.icl]);
  const series = [{kind:"line", points:pts, colour:"#1f77b4", label:"ICL"}, {kind:"dots", points:pts, colour:"#1f77b4"}];
  if (c.selected) { const s = c.points.find(p => p.components === c.selected); if (s) series.push({kind:"dots", points:[[s.components, s.icl]], colour:"#d62728", label:"selected " + c.selected}); }
  const [x0,x1] = extent(pts.map(p=>p[0])), [y0,y1] = extent(pts.map(p=>p[1]));
  chart("icl", {x:[x0,x1], y:[y0,y1], xLabel:"components", yLabel:"ICL", series});
  if (!pts.length) document.getElementById("icl").insertAdjacentText("beforeend", c.note || "");
}

function drawSeries(){
  const ok = state.frames.filter(f => f.status === "ok");
  const t0 = state.start || (ok.length ? ok[0].acquiredAt : 0);
  const tOf = f => (f.acquiredAt === undefined || f.acquiredAt === null) ? NaN : (f.acquiredAt - t0) / 60;
  const atoms = ok.filter(f => f.atoms !== undefined && f.atoms !== null);
  const ta = atoms.map(f => [tOf(f), f.atoms]), tc = ok.map(f => [tOf(f), f.columnCount]);
  chart("atomsTime", {x: extent(ta.map(p=>p[0])), y: extent(ta.map(p=>p[1])), xLabel:"time (min)", yLabel:"atoms", series:[{kind:"line", points:ta, colour:"#2ca02c"}]});
  chart("columnsTime", {x: extent(tc.map(p=>p[0])), y: extent(tc.map(p=>p[1])), xLabel:"time (min)", yLabel:"columns", series:[{kind:"line", points:tc, colour:"#9467bd"}]});
  const tt = atoms.filter(f => f.temperature !== undefined && f.temperature !== null).map(f => [f.temperature, f.atoms]);
  chart("atomsTemp", {x: extent(tt.map(p=>p[0])), y: extent(tt.map(p=>p[1])), xLabel:"temperature (°C)", yLabel:"atoms", series:[{kind:"dots", points:tt, colour:"#ff7f0e"}]});
  const times = {}; for (const f of state.frames) times[f.frame] = tOf(f);
  const byFamily = {};
  for (const f of state.facets) { const fam = f.family || "?"; const key = f.frame; (byFamily[fam] = byFamily[fam] || {})[key] = (byFamily[fam][key] || 0) + (f.length || 0); }
  const series = [], all = [];
  Object.keys(byFamily).sort().forEach((fam, i) => {
    const pts = Object.keys(byFamily[fam]).map(Number).sort((a,b)=>a-b).map(k => [times[k], byFamily[fam][k]]);
    all.push(...pts); series.push({kind:"line", points:pts, colour:palette[i % palette.length], label:fam});
  });
  chart("facets", {x: extent(all.map(p=>p[0])), y: extent(all.map(p=>p[1]).concat([0])), xLabel:"time (min)", yLabel:"total length (Å)", series});
  const temps = {}; for (const f of state.frames) if (f.temperature !== undefined && f.temperature !== null) temps[f.frame] = f.temperature;
  const tSeries = [], tAll = [];
  Object.keys(byFamily).sort().forEach((fam, i) => {
    const pts = Object.keys(byFamily[fam]).map(Number).filter(k => temps[k] !== undefined).sort((a,b)=>a-b).map(k => [temps[k], byFamily[fam][k]]);
    tAll.push(...pts); tSeries.push({kind:"dots", points:pts, colour:palette[i % palette.length], label:fam});
  });
  chart("facetsTemp", {x: extent(tAll.map(p=>p[0])), y: extent(tAll.map(p=>p[1]).concat([0])), xLabel:"temperature (°C)", yLabel:"total length (Å)", series: tSeries});
}

async function drawEvents(){
  const list = await get("/api/events?limit=5000" + (state.lastFrame >= 0 ? "&from=" + Math.max(0, state.lastFrame - 2000) : ""));
  const rows = list.events.slice(-40).reverse();
  let h = "<table><tr><th>frame</th><th>kind</th><th>x</th><th>y</th><th>track</th><th>other</th><th>before</th><th>after</th><th>conf.</th></tr>";
  const v = x => (x === null || x === undefined) ? "" : x;
  for (const e of rows) h += "<tr><td>"+e.frame+"</td><td>"+String(e.kind).replace(/[<>&]/g,"")+"</td><td>"+e.x.toFixed(1)+"</td><td>"+e.y.toFixed(1)+"</td><td>"+v(e.track)+"</td><td>"+v(e.otherTrack)+"</td><td>"+v(e.before)+"</td><td>"+v(e.after)+"</td><td>"+e.confidence.toFixed(2)+"</td></tr>";
  document.getElementById("events").innerHTML = h + "</table>" + (rows.length ? "" : "no events yet");
  document.getElementById("events").dataset.rows = rows.length;
}

async function fetchNew(){
  for (;;) {
    const page = await get("/api/frames?limit=5000&after=" + state.lastFrame);
    for (const f of page.frames) state.frames.push(f);
    if (page.frames.length) state.lastFrame = page.frames[page.frames.length-1].frame;
    if (page.next === null || page.next === undefined) break;
  }
  for (;;) {
    const page = await get("/api/facets?limit=5000&from=" + (state.lastFacetFrame + 1));
    let got = page.facets;
    if (page.truncated && got.length) { const lastF = got[got.length-1].frame; got = got.filter(f => f.frame < lastF); state.facets.push(...got); state.lastFacetFrame = lastF - 1; if (!got.length) break; continue; }
    state.facets.push(...got);
    if (got.length) state.lastFacetFrame = got[got.length-1].frame;
    break;
  }
  const m = await get("/api/models"); for (const x of m.models) state.models[x.id] = x;
}

async function refresh(){
  if (state.busy) return; state.busy = true;
  try {
    const s = await get("/api/summary");
    state.start = s.seriesStart;
    const sum = s.summary;
    document.getElementById("status").textContent = sum.frames + " frames (" + sum.failedFrames + " failed), latest frame " + (s.latestFrame ?? "–") +
      (sum.maxTemperature !== undefined && sum.maxTemperature !== null ? ", up to " + sum.maxTemperature.toFixed(0) + " °C" : "") +
      ", " + Object.values(sum.events).reduce((a,b)=>a+b,0) + " events · updated " + new Date().toLocaleTimeString();
    if ((sum.lastFrame ?? -1) !== state.lastFrame || s.latestFrame !== state.shownFrame) {
      await fetchNew();
      drawSeries();
      await drawEvents();
      if (s.latestFrame !== null && s.latestFrame !== undefined) { await drawFrame(s.latestFrame); state.shownFrame = s.latestFrame; }
    }
    if (!errors.length) document.body.dataset.state = "rendered";
  } catch (e) {
    const m = String(e.message || e);
    if (m.indexOf(": 503") >= 0) document.getElementById("status").textContent = "waiting for the database: " + m; else fail(m);
  }
  finally { state.busy = false; }
}
refresh();
setInterval(refresh, 2000);
</script>
</body></html>
"""#
}
