// Filters for the calendar of global processes. Without this script the whole table is shown.
(() => {
  "use strict";
  const box = document.querySelector(".wpsr-calendar-filters");
  if (!box) return;
  const rows = [...document.querySelectorAll("table.wpsr-calendar tbody tr")];
  const count = box.querySelector(".wpsr-calendar-count");
  const value = (name) => box.querySelector(`[data-filter="${name}"]`).value.trim();
  const apply = () => {
    const type = value("type"), year = value("year"), chapter = value("chapter"), text = value("text").toLowerCase();
    let shown = 0;
    for (const row of rows) {
      const keep = (!type || row.dataset.type === type) && (!year || row.dataset.year === year)
        && (!chapter || row.dataset.chapters.split(";").includes(chapter))
        && (!text || row.querySelector("th").textContent.toLowerCase().includes(text));
      row.hidden = !keep;
      if (keep) shown += 1;
    }
    count.textContent = `${shown} of ${rows.length} meetings shown`;
  };
  box.addEventListener("input", apply);
  box.addEventListener("change", apply);
  box.hidden = false;
  apply();
})();
