"use strict";
const $ = (id) => document.getElementById(id);
const fmt = (v) => (v === null || v === undefined ? "–" : v.toFixed(4));
const headers = () => { const t = $("token").value; return t ? { Authorization: "Bearer " + t } : {}; };

async function loadModel() {
  const r = await fetch("model", { headers: headers() });
  if (!r.ok) { $("model").textContent = "model: " + (await r.json()).error; return; }
  const m = await r.json();
  $("model").textContent = `${m.model} · ${m.task} · ${m.labels.length} label(s)` + (m.temperature ? ` · temperature ${m.temperature.toFixed(3)}` : " · not calibrated");
}

function row(cells) {
  const tr = document.createElement("tr");
  for (const c of cells) { const td = document.createElement("td"); td.textContent = c; tr.appendChild(td); }
  return tr;
}

function drawAttribution(e) {
  const svg = $("attribution");
  const cell = 10, left = 220, channels = e.channels.length, hours = e.hours;
  const width = left + hours * cell + 10, height = channels * cell + 30;
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.innerHTML = "";
  const max = Math.max(1e-12, ...e.by_channel.map(Math.abs));
  const ns = "http://www.w3.org/2000/svg";
  for (let c = 0; c < channels; c++) {
    const t = document.createElementNS(ns, "text");
    t.setAttribute("x", left - 6); t.setAttribute("y", c * cell + cell - 2); t.setAttribute("text-anchor", "end"); t.setAttribute("font-size", "9");
    t.textContent = e.channels[c]; svg.appendChild(t);
    for (let h = 0; h < hours; h++) {
      const v = e.by_channel[h * channels + c] / max;
      const r = document.createElementNS(ns, "rect");
      r.setAttribute("x", left + h * cell); r.setAttribute("y", c * cell); r.setAttribute("width", cell - 1); r.setAttribute("height", cell - 1);
      r.setAttribute("fill", v >= 0 ? `rgba(200,0,0,${v})` : `rgba(0,60,200,${-v})`);
      svg.appendChild(r);
    }
  }
  const axis = document.createElementNS(ns, "text");
  axis.setAttribute("x", left); axis.setAttribute("y", channels * cell + 20); axis.setAttribute("font-size", "10");
  axis.textContent = `hours 0–${hours - 1} · attributions sum ${e.attribution_sum.toFixed(4)} = f(x) ${e.output.toFixed(4)} − f(baseline) ${e.baseline_output.toFixed(4)}`;
  svg.appendChild(axis);
}

function show(data) {
  const p = data.prediction;
  const risks = $("risks").querySelector("tbody"); risks.innerHTML = "";
  for (const label of data.labels)
    risks.appendChild(row([label, fmt(p.probabilities[label]), p.calibrated ? fmt(p.calibrated[label]) : "–"]));
  const attention = $("attention").querySelector("tbody"); attention.innerHTML = "";
  for (const a of p.attention) attention.appendChild(row([String(a.layer), ...a.weights.flat().map(fmt)]));
  const e = data.explanation;
  if (e) { $("attribution-title").textContent = `Series attributions for ${e.label}`; drawAttribution(e); }
  $("imaging").hidden = !(e && e.image_png);
  if (e && e.image_png) { $("cxr").src = e.image_png; $("gradcam").src = e.gradcam_png; }
  $("result").hidden = false;
}

$("stay").addEventListener("submit", async (event) => {
  event.preventDefault();
  $("error").hidden = true;
  const form = new FormData();
  form.append("series", $("series").files[0]);
  if ($("image").files.length) form.append("image", $("image").files[0]);
  if ($("hours").value) form.append("hours", $("hours").value);
  form.append("explain", "1");
  $("submit").disabled = true;
  try {
    const r = await fetch("predict", { method: "POST", body: form, headers: headers() });
    const data = await r.json();
    if (!r.ok) { $("error").textContent = data.error; $("error").hidden = false; return; }
    show(data);
  } catch (err) {
    $("error").textContent = "The service did not answer: " + err; $("error").hidden = false;
  } finally {
    $("submit").disabled = false;
  }
});
$("token").addEventListener("change", loadModel);
loadModel();
