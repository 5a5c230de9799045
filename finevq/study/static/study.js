// The rating page. Everything it asks comes from /api/config (built from finevq's taxonomy),
// so this file knows no dimension, level or distortion name of its own.
"use strict";

const TOKEN_KEY = "finevq-study-token";
const $ = (id) => document.getElementById(id);
const state = { config: null, token: null, slot: null, shownAt: 0, plays: 0 };

function show(id) {
  for (const s of ["login", "instructions", "rating", "done"]) $(s).hidden = s !== id;
  window.scrollTo(0, 0);
}

function fail(message) {
  $("error").textContent = message;
  $("error").hidden = !message;
}

async function api(method, path, body) {
  const headers = { "Content-Type": "application/json" };
  if (state.token) headers["X-Annotator-Token"] = state.token;
  const res = await fetch(path, { method, headers, body: body ? JSON.stringify(body) : undefined });
  const data = await res.json().catch(() => ({}));
  if (!res.ok) {
    const detail = Array.isArray(data.detail) ? data.detail.map((d) => d.msg || d).join("; ") : data.detail;
    const error = new Error(detail || `${res.status} ${res.statusText}`);
    error.status = res.status;
    throw error;
  }
  return data;
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "text") node.textContent = v;
    else node.setAttribute(k, v);
  }
  node.append(...children);
  return node;
}

// -- session ------------------------------------------------------------------------------

async function startSession(body) {
  const session = await api("POST", "/api/session", body);
  state.token = session.token;
  localStorage.setItem(TOKEN_KEY, session.token);
  const link = `${location.origin}${location.pathname}?token=${encodeURIComponent(session.token)}`;
  history.replaceState(null, "", link);
  $("who").textContent = session.name;
  $("who").hidden = false;
  $("link-line").textContent = `Your personal link (bookmark it to continue on any device): ${link}`;
  $("start").textContent = session.progress.done ? "Continue rating" : "Start rating";
  show("instructions");
}

async function resume() {
  const token = new URLSearchParams(location.search).get("token") || localStorage.getItem(TOKEN_KEY);
  if (!token) return show("login");
  try {
    await startSession({ token });
  } catch (error) {
    localStorage.removeItem(TOKEN_KEY);
    history.replaceState(null, "", location.pathname);
    show("login");
    if (error.status !== 401) fail(error.message);
  }
}

// -- instructions -------------------------------------------------------------------------

function renderInstructions() {
  const scales = new Map();
  for (const dim of state.config.form) {
    const key = dim.levels.map((l) => l.name).join(",");
    if (!scales.has(key)) scales.set(key, { levels: dim.levels, dims: [] });
    scales.get(key).dims.push(dim.dimension);
  }
  for (const { levels, dims } of scales.values()) {
    const rows = levels.map((l) => el("tr", {}, el("th", { text: l.name }), el("td", { text: l.hint })));
    $("scales").append(
      el("h3", { text: `Levels for ${dims.join(", ")}` }),
      el("table", { class: "scale" }, el("tbody", {}, ...rows)),
    );
  }
  for (const dim of state.config.form) {
    const types = dim.types.length ? ` Kinds: ${dim.types.join(", ")}.` : "";
    $("dimensions").append(el("dt", { text: dim.dimension }), el("dd", { text: dim.question + types }));
  }
  const examples = state.config.examples;
  $("examples-block").hidden = examples.length === 0;
  for (const ex of examples) {
    const levels = Object.entries(ex.levels).map(([d, l]) => `${d}: ${l}`).join(", ");
    $("examples").append(el("figure", {},
      el("video", { src: ex.url, controls: "", preload: "metadata", playsinline: "" }),
      el("figcaption", {},
        el("div", { text: levels }),
        el("div", { class: "muted", text: ex.distortions.length ? `Distortions: ${ex.distortions.join(", ")}` : "" }),
        el("div", { text: ex.note }))));
  }
}

// -- rating -------------------------------------------------------------------------------

function levelsFieldset(dim) {
  const levels = el("div", { class: "levels" });
  for (const level of dim.levels) {
    levels.append(el("label", { title: level.hint },
      el("input", { type: "radio", name: `level-${dim.dimension}`, value: level.name }),
      level.name));
  }
  const box = el("fieldset", { "data-dimension": dim.dimension },
    el("legend", { text: dim.dimension }), el("p", { class: "question", text: dim.question }), levels);
  if (dim.types.length) box.append(typesBlock(dim));
  return box;
}

function typesBlock(dim) {
  const none = state.config.none;
  const block = el("div", { class: "types" });
  const boxes = [];
  for (const type of [...dim.types, none]) {
    const input = el("input", { type: "checkbox", name: `type-${dim.dimension}`, value: type });
    const label = el("label", {}, input, ` ${type}`);
    if (type === dim.other) {
      const text = el("input", { type: "text", name: `note-${dim.dimension}`, placeholder: "describe", maxlength: "500" });
      text.disabled = true;
      input.addEventListener("change", () => { text.disabled = !input.checked; if (!input.checked) text.value = ""; });
      label.append(text);
    }
    boxes.push(input);
    block.append(label);
  }
  // "none" and the distortion types exclude each other, as on FineVD's form
  block.addEventListener("change", (event) => {
    if (!event.target.checked || event.target.type !== "checkbox") return;
    for (const box of boxes) {
      if (box !== event.target && (box.value === none || event.target.value === none) && box.checked) {
        box.checked = false;
        box.dispatchEvent(new Event("change"));
      }
    }
  });
  return block;
}

function renderForm() {
  const form = $("rating-form");
  form.replaceChildren(...state.config.form.map(levelsFieldset), el("button", { type: "submit", id: "submit" }, "Save and next"));
  form.addEventListener("submit", submit);
}

function collect() {
  const form = $("rating-form");
  const answer = { levels: {}, distortions: {}, notes: {} };
  const missing = [];
  for (const dim of state.config.form) {
    const d = dim.dimension;
    const level = form.querySelector(`input[name="level-${d}"]:checked`);
    if (level) answer.levels[d] = level.value;
    if (dim.types.length) {
      answer.distortions[d] = [...form.querySelectorAll(`input[name="type-${d}"]:checked`)].map((i) => i.value);
      const note = form.querySelector(`input[name="note-${d}"]`);
      if (note && !note.disabled && note.value.trim()) answer.notes[d] = note.value.trim();
    }
    const ok = level && (!dim.types.length || answer.distortions[d].length);
    form.querySelector(`fieldset[data-dimension="${d}"]`).classList.toggle("missing", !ok);
    if (!ok) missing.push(d);
  }
  return { answer, missing };
}

async function submit(event) {
  event.preventDefault();
  const { answer, missing } = collect();
  if (missing.length) return fail(`Please answer: ${missing.join(", ")} (a level and the distortions seen, or “none”).`);
  $("submit").disabled = true;
  try {
    await api("POST", "/api/ratings", {
      assignment: state.slot.assignment,
      video: state.slot.video.id,
      ...answer,
      page_version: state.config.page_version,
      duration_ms: Math.round(performance.now() - state.shownAt),
      plays: state.plays,
    });
    fail("");
    await nextVideo();
  } catch (error) {
    fail(`Not saved: ${error.message}`);
    $("submit").disabled = false;
  }
}

async function nextVideo() {
  const slot = await api("GET", "/api/next");
  if (slot.done) return show("done");
  state.slot = slot;
  state.plays = 0;
  state.shownAt = performance.now();
  $("progress-text").textContent = `Video ${slot.progress.done + 1} of ${slot.progress.total}`;
  $("progress").max = slot.progress.total;
  $("progress").value = slot.progress.done;
  const form = $("rating-form");
  form.reset();
  form.querySelectorAll("fieldset").forEach((f) => f.classList.remove("missing"));
  form.querySelectorAll('input[type="text"]').forEach((t) => { t.disabled = true; });
  form.inert = true;
  $("submit").disabled = true;
  $("play-hint").hidden = false;
  const player = $("player");
  player.src = slot.video.url;
  player.load();
  show("rating");
}

function watchPlayer() {
  const player = $("player");
  player.addEventListener("play", () => { state.plays += 1; });
  player.addEventListener("ended", () => {
    $("rating-form").inert = false;
    $("submit").disabled = false;
    $("play-hint").hidden = true;
  });
  player.addEventListener("error", () => {
    if (player.getAttribute("src")) fail("This video cannot be played in this browser. Please tell the study owner.");
  });
}

// -- start --------------------------------------------------------------------------------

async function main() {
  try {
    state.config = await api("GET", "/api/config");
  } catch (error) {
    return fail(`The study server is not reachable: ${error.message}`);
  }
  renderInstructions();
  renderForm();
  watchPlayer();
  $("login-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      fail("");
      await startSession({ name: $("name").value });
    } catch (error) {
      fail(error.message);
    }
  });
  // back from the instructions mid-video: keep the answers given so far
  $("start").addEventListener("click", () => (state.slot ? show("rating") : nextVideo().catch((error) => fail(error.message))));
  $("show-help").addEventListener("click", () => show("instructions"));
  await resume();
}

main();
