// Keyboard review in the reader (#19): j/k move, a accept, r reject, e relabel or move, u undo.
// Talks to /api/v1 only; every text is set with textContent (article text is hostile input).
(function () {
  "use strict";
  const panel = document.getElementById("panel-review");
  if (!panel) return;
  const doc = panel.dataset.doc;
  const list = panel.querySelector("ol.review-list");
  const status = panel.querySelector(".review-status");
  const form = panel.querySelector("form.relabel");
  const labels = document.getElementById("review-labels");
  let rows = [];
  let current = 0;

  function say(text, isError) {
    status.textContent = text;
    status.classList.toggle("error", Boolean(isError));
  }

  function line(parent, cls, text) {
    const span = document.createElement("span");
    span.className = cls;
    span.textContent = text;
    parent.append(span, " ");
    return span;
  }

  function render(data) {
    list.textContent = "";
    rows = [];
    data.labels.forEach((l) => rows.push({ label: l, correction: l.correction }));
    data.rejected.forEach((c) => rows.push({ label: null, correction: c }));
    rows.forEach((row, i) => {
      const li = document.createElement("li");
      li.tabIndex = -1;
      const l = row.label || row.correction.old;
      li.className = "rv" + (row.label ? "" : " rejected") + (row.correction ? " corrected" : "");
      if (row.label) li.dataset.id = row.label.id;
      line(li, "layer muted", l.layer);
      line(li, "lab", l.label.replace(/_/g, " "));
      line(li, "score", l.score.toFixed(2));
      if (row.label && row.label.text) line(li, "quote", "“" + row.label.text.slice(0, 140) + "”");
      if (row.correction) {
        const c = row.correction;
        line(li, "by", c.action + "ed by " + c.user + " at " + (c.at || "").slice(0, 16).replace("T", " "));
      }
      li.addEventListener("click", () => select(i));
      list.append(li);
    });
    select(Math.min(current, rows.length - 1));
  }

  function select(i) {
    if (i < 0 || !rows.length) return;
    current = Math.max(0, Math.min(i, rows.length - 1));
    list.querySelectorAll("li.sel").forEach((li) => li.classList.remove("sel"));
    const li = list.children[current];
    li.classList.add("sel");
    li.scrollIntoView({ block: "nearest" });
  }

  async function load() {
    const response = await fetch("/api/v1/documents/" + doc + "/labels");
    render(await response.json());
  }

  async function send(method, url, body) {
    const response = await fetch(url, {
      method: method,
      headers: { "Content-Type": "application/json" },
      body: body ? JSON.stringify(body) : undefined,
    });
    const data = await response.json();
    if (!response.ok) {
      say(data.error || "refused", true);
      return null;
    }
    await load();
    return data;
  }

  async function correct(action, extra) {
    const row = rows[current];
    if (!row || !row.label) return say("choose a label first (j/k)", true);
    const done = await send("POST", "/api/v1/corrections", Object.assign(
      { action: action, annotation_id: row.label.id, doc_id: doc }, extra || {}));
    if (done) say(action + "ed: " + (done.new || done.old).label);
  }

  async function undo() {
    const row = rows[current];
    if (!row || !row.correction) return say("nothing to undo on this label", true);
    const done = await send("DELETE", "/api/v1/corrections/" + row.correction.id);
    if (done) say("undone: " + done.action + " of " + (done.old || done.new).label);
  }

  async function openForm() {
    const row = rows[current];
    if (!row || !row.label) return say("choose a label first (j/k)", true);
    const response = await fetch("/api/v1/review/labels?layer=" + encodeURIComponent(row.label.layer));
    labels.textContent = "";
    ((await response.json()).labels || []).forEach((name) => {
      const option = document.createElement("option");
      option.value = name;
      labels.append(option);
    });
    form.hidden = false;
    form.elements.label.value = row.label.label;
    form.elements.start.value = row.label.start === null ? "" : row.label.start;
    form.elements.end.value = row.label.end === null ? "" : row.label.end;
    form.elements.label.focus();
    form.elements.label.select();
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const row = rows[current];
    const extra = { label: form.elements.label.value, note: form.elements.note.value };
    if (form.elements.start.value !== "" && row.label.start !== null) {
      extra.start = Number(form.elements.start.value);
      extra.end = Number(form.elements.end.value);
    }
    form.hidden = true;
    await correct("relabel", extra);
    list.focus();
  });

  form.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      form.hidden = true;
      say("relabel cancelled");
    }
  });

  document.addEventListener("keydown", (event) => {
    if (event.target.closest("input, textarea, select, form") || event.ctrlKey || event.metaKey || event.altKey) return;
    const keys = {
      j: () => select(current + 1), ArrowDown: () => select(current + 1),
      k: () => select(current - 1), ArrowUp: () => select(current - 1),
      a: () => correct("accept"), r: () => correct("reject"), e: () => openForm(), u: () => undo(),
    };
    if (keys[event.key]) {
      event.preventDefault();
      keys[event.key]();
    }
  });

  load();
})();
