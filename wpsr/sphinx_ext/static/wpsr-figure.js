// A figure's own page: its table of values sorts by a column (a button in each header, so the
// keyboard reaches it; aria-sort says the order), and the citation, BibTeX and embed code copy
// with one click. Without this script the table is in the data's order and the texts can be selected.
(() => {
  "use strict";
  for (const table of document.querySelectorAll("table.wpsr-sortable")) {
    const body = table.tBodies[0];
    const headers = [...table.tHead.rows[0].cells];
    headers.forEach((header, column) => {
      header.querySelector("button").addEventListener("click", () => {
        const ascending = header.getAttribute("aria-sort") !== "ascending";
        const rows = [...body.rows];
        const cell = (row) => row.cells[column].textContent.trim();
        const numeric = rows.every((row) => cell(row) === "" || !Number.isNaN(Number(cell(row))));
        rows.sort((a, b) => {
          const order = numeric ? Number(cell(a)) - Number(cell(b)) : cell(a).localeCompare(cell(b));
          return ascending ? order : -order;
        });
        body.append(...rows);
        headers.forEach((other) => other.removeAttribute("aria-sort"));
        header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      });
    });
  }
  const copy = document.querySelector(".wpsr-copy");
  if (!copy) return;
  const status = copy.querySelector(".wpsr-copy-status");
  copy.addEventListener("click", async (event) => {
    const button = event.target.closest("button[data-copy]");
    if (!button) return;
    const source = document.getElementById(button.dataset.copy);
    const text = "value" in source ? source.value : source.textContent;
    try {
      await navigator.clipboard.writeText(text);
      status.textContent = copy.dataset.copied;
    } catch (error) {
      status.textContent = copy.dataset.failed;
    }
  });
})();
