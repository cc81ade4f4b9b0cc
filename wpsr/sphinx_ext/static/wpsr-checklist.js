// The innovation checklist as a self-assessment. Answers stay in this browser (localStorage);
// nothing is sent anywhere. Without this script the page is still the complete, printable checklist.
(() => {
  "use strict";
  const tools = document.querySelector(".wpsr-checklist-tools");
  if (!tools) return;
  const key = tools.dataset.storageKey;
  const FILE = "innovation-checklist-answers.csv";
  const checks = [...document.querySelectorAll("input.wpsr-check")];
  const notes = [...document.querySelectorAll("textarea.wpsr-note")];
  const status = tools.querySelector(".wpsr-checklist-status");
  const words = tools.dataset; // the page's language: count, downloaded, cleared, inPlace, notYet
  let storage = null;
  try { storage = window.localStorage; storage.getItem(key); } catch (e) { storage = null; }
  // Answers kept by the first editions, under "<key>:<edition>": the newest edition's move to the key
  // every edition shares, so a new edition keeps them.
  if (storage && storage.getItem(key) === null) {
    const legacy = Object.keys(storage).filter((k) => k.startsWith(`${key}:`)).sort();
    if (legacy.length) storage.setItem(key, storage.getItem(legacy[legacy.length - 1]));
    legacy.forEach((k) => storage.removeItem(k));
  }

  const read = () => {
    try { return JSON.parse((storage && storage.getItem(key)) || "{}"); } catch (e) { return {}; }
  };
  const save = () => {
    if (!storage) return;
    const state = {
      checked: checks.filter((c) => c.checked).map((c) => c.name),
      notes: Object.fromEntries(notes.filter((n) => n.value).map((n) => [n.dataset.dimension, n.value])),
    };
    storage.setItem(key, JSON.stringify(state));
  };
  const summarize = () => {
    for (const li of tools.querySelectorAll(".wpsr-checklist-summary li")) {
      const mine = checks.filter((c) => c.dataset.dimension === li.dataset.dimension);
      const done = mine.filter((c) => c.checked).length;
      li.querySelector(".wpsr-summary-count").textContent = words.count.replace("{done}", done)
        .replace("{total}", mine.length);
      li.querySelector(".wpsr-summary-bar span").style.width = `${(100 * done) / mine.length}%`;
    }
  };
  const csvCell = (text) => `"${String(text).replace(/"/g, '""')}"`;
  const exportCsv = () => {
    const lines = [["id", "dimension", "item", "answer"].join(",")];
    for (const c of checks) {
      const item = document.querySelector(`label[for="${c.id}"] .wpsr-check-item`).textContent;
      lines.push([c.name, c.dataset.dimension, item, c.checked ? words.inPlace : words.notYet].map(csvCell).join(","));
    }
    for (const n of notes) {
      if (n.value) lines.push(["notes", n.dataset.dimension, n.value, ""].map(csvCell).join(","));
    }
    const link = document.createElement("a");
    link.href = URL.createObjectURL(new Blob([lines.join("\r\n") + "\r\n"], { type: "text/csv" }));
    link.download = FILE;
    document.body.append(link);
    link.click();
    link.remove();
    status.textContent = words.downloaded.replace("{file}", FILE);
  };
  const clear = () => {
    if (storage) storage.removeItem(key);
    checks.forEach((c) => { c.checked = false; });
    notes.forEach((n) => { n.value = ""; });
    summarize();
    status.textContent = words.cleared;
  };

  const state = read();
  checks.forEach((c) => { c.checked = (state.checked || []).includes(c.name); });
  notes.forEach((n) => { n.value = (state.notes || {})[n.dataset.dimension] || ""; });
  checks.forEach((c) => c.addEventListener("change", () => { save(); summarize(); }));
  notes.forEach((n) => n.addEventListener("input", save));
  tools.addEventListener("click", (event) => {
    const action = event.target.closest("button") && event.target.closest("button").dataset.action;
    if (action === "export") exportCsv();
    if (action === "print") window.print();
    if (action === "clear") clear();
  });
  summarize();
  tools.hidden = false;
})();
