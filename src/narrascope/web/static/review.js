// Keyboard review in the reader (#19): j/k move, a accept, r reject, e relabel (label, span,
// a quote's speaker, an entity mention's entity), n a new label on the selected text, u undo.
// Talks to /api/v1 only; every text is set with textContent (article text is hostile input).
(function () {
  "use strict";
  const panel = document.getElementById("panel-review");
  if (!panel) return;
  const doc = panel.dataset.doc;
  const list = panel.querySelector("ol.review-list");
  const status = panel.querySelector(".review-status");
  const form = panel.querySelector("form.relabel");
  const adding = panel.querySelector("form.add");
  const labels = document.getElementById("review-labels");
  const addLabels = document.getElementById("add-labels");
  const SPAN_LAYERS = ["technique", "claim", "quote", "entity", "event"];
  let selected = null; // the span a new label goes on: {start, end, text}
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
      if (l.layer === "quote" && l.speaker) line(li, "who muted", "speaker: " + l.speaker);
      if (l.layer === "entity" && l.entity) line(li, "who muted", "→ " + l.entity);
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

  async function fillLabels(list_, layer) {
    const response = await fetch("/api/v1/review/labels?layer=" + encodeURIComponent(layer));
    list_.textContent = "";
    ((await response.json()).labels || []).forEach((name) => {
      const option = document.createElement("option");
      option.value = name;
      list_.append(option);
    });
  }

  // The fields a layer's labels have: a span, a quote's speaker, an entity mention's entity.
  function showFields(f, layer, spanned) {
    if (f.querySelector("label.span")) f.querySelector("label.span").hidden = !spanned;
    f.querySelector("label.speaker").hidden = layer !== "quote";
    f.querySelector("label.entity").hidden = layer !== "entity";
  }

  async function openForm() {
    const row = rows[current];
    if (!row || !row.label) return say("choose a label first (j/k)", true);
    const l = row.label;
    await fillLabels(labels, l.layer);
    showFields(form, l.layer, l.start !== null);
    form.hidden = false;
    form.elements.label.value = l.label;
    form.elements.start.value = l.start === null ? "" : l.start;
    form.elements.end.value = l.end === null ? "" : l.end;
    form.elements.speaker.value = l.speaker || "";
    form.elements.entity.value = l.entity || "";
    form.elements.label.focus();
    form.elements.label.select();
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const l = rows[current].label;
    const f = form.elements;
    const extra = { note: f.note.value };
    if (f.label.value !== l.label) extra.label = f.label.value;
    if (l.start !== null && f.start.value !== "" &&
        (Number(f.start.value) !== l.start || Number(f.end.value) !== l.end)) {
      extra.start = Number(f.start.value);
      extra.end = Number(f.end.value);
    }
    if (l.layer === "quote" && f.speaker.value !== (l.speaker || "")) extra.speaker = f.speaker.value;
    if (l.layer === "entity" && f.entity.value !== (l.entity || "")) extra.entity = f.entity.value;
    form.hidden = true;
    await correct("relabel", extra);
    list.focus();
  });

  // Character offsets into the document's text of a point in the article: each paragraph
  // carries the offset it starts at, and its text nodes are the text itself, in order.
  function offsetOf(node, offset) {
    const element = node.nodeType === Node.ELEMENT_NODE ? node : node.parentElement;
    const paragraph = element && element.closest("article.doc p[data-start]");
    if (!paragraph) return null;
    const range = document.createRange();
    range.setStart(paragraph, 0);
    range.setEnd(node, offset);
    return Number(paragraph.dataset.start) + range.toString().length;
  }

  function selection() {
    const sel = window.getSelection();
    if (!sel || !sel.rangeCount || sel.isCollapsed) return null;
    const range = sel.getRangeAt(0);
    const start = offsetOf(range.startContainer, range.startOffset);
    const end = offsetOf(range.endContainer, range.endOffset);
    if (start === null || end === null) return { error: "select the text within the article's paragraphs" };
    return { start: start, end: end, text: range.toString() };
  }

  async function openAdd() {
    selected = selection();
    if (selected && selected.error) return say(selected.error, true);
    const note = adding.querySelector(".add-span");
    note.textContent = selected
      ? "on “" + selected.text.slice(0, 140) + "” (" + selected.start + "–" + selected.end + ")"
      : "no text selected: a label of the whole document";
    const layer = adding.elements.layer;
    if (selected && SPAN_LAYERS.indexOf(layer.value) < 0) layer.value = "technique";
    if (!selected && SPAN_LAYERS.indexOf(layer.value) >= 0) layer.value = "narrative";
    await changeLayer();
    adding.elements.label.value = "";
    adding.elements.speaker.value = "";
    adding.elements.entity.value = selected ? selected.text.trim() : "";
    adding.hidden = false;
    adding.elements.label.focus();
  }

  async function changeLayer() {
    const layer = adding.elements.layer.value;
    showFields(adding, layer, Boolean(selected));
    await fillLabels(addLabels, layer);
  }

  adding.elements.layer.addEventListener("change", changeLayer);

  adding.addEventListener("submit", async (event) => {
    event.preventDefault();
    const f = adding.elements;
    const body = { action: "add", doc_id: doc, layer: f.layer.value, label: f.label.value, note: f.note.value };
    if (selected && SPAN_LAYERS.indexOf(f.layer.value) >= 0) {
      body.start = selected.start;
      body.end = selected.end;
    }
    if (f.layer.value === "quote" && f.speaker.value) body.speaker = f.speaker.value;
    if (f.layer.value === "entity") body.entity = f.entity.value;
    adding.hidden = true;
    const done = await send("POST", "/api/v1/corrections", body);
    if (done) {
      say("added: " + done.new.label);
      current = rows.findIndex((row) => row.correction && row.correction.id === done.id);
      select(current);
    }
    list.focus();
  });

  [form, adding].forEach((f) => f.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      f.hidden = true;
      say(f === form ? "relabel cancelled" : "new label cancelled");
    }
  }));

  document.addEventListener("keydown", (event) => {
    if (event.target.closest("input, textarea, select, form") || event.ctrlKey || event.metaKey || event.altKey) return;
    const keys = {
      j: () => select(current + 1), ArrowDown: () => select(current + 1),
      k: () => select(current - 1), ArrowUp: () => select(current - 1),
      a: () => correct("accept"), r: () => correct("reject"), e: () => openForm(), u: () => undo(),
      n: () => openAdd(),
    };
    if (keys[event.key]) {
      event.preventDefault();
      keys[event.key]();
    }
  });

  load();
})();
