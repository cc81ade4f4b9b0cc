// Filters for a table (the calendar of global processes, the take-up register). Without this
// script the whole table is shown. A box [data-filters-for=TABLE_ID] holds selects and a text
// field, each with data-filter=NAME: a row is kept when its data-NAME (";"-separated values)
// includes the selected value, and when its header cell contains the text ("text"). The box's
// data-shown says how many rows are shown, in the page's language ("{shown} of {total} … shown").
(() => {
  "use strict";
  for (const box of document.querySelectorAll("[data-filters-for]")) {
    const rows = [...document.querySelectorAll(`#${box.dataset.filtersFor} tbody tr`)];
    const fields = [...box.querySelectorAll("[data-filter]")];
    const count = box.querySelector("[role=status]");
    const apply = () => {
      let shown = 0;
      for (const row of rows) {
        const keep = fields.every((field) => {
          const wanted = field.value.trim();
          if (!wanted) return true;
          if (field.dataset.filter === "text") {
            return row.querySelector("th").textContent.toLowerCase().includes(wanted.toLowerCase());
          }
          return (row.dataset[field.dataset.filter] || "").split(";").includes(wanted);
        });
        row.hidden = !keep;
        if (keep) shown += 1;
      }
      count.textContent = box.dataset.shown.replace("{shown}", shown).replace("{total}", rows.length);
    };
    box.addEventListener("input", apply);
    box.addEventListener("change", apply);
    box.hidden = false;
    apply();
  }
})();
