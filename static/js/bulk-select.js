// Case lists' action bars: "select all on this page" ticks every row, and unticking a row unticks it.
// Without this script the server reads "select all" as every row of the page, so the form works anyway.
document.addEventListener("change", (event) => {
  const box = event.target;
  if (!(box instanceof HTMLInputElement) || !box.form) {
    return;
  }
  const rows = box.form.querySelectorAll("[data-bulk-select]");
  if (box.matches("[data-bulk-select-all]")) {
    rows.forEach((row) => { row.checked = box.checked; });
  } else if (box.matches("[data-bulk-select]")) {
    const all = box.form.querySelector("[data-bulk-select-all]");
    if (all) {
      all.checked = Array.from(rows).every((row) => row.checked);
    }
  }
});
