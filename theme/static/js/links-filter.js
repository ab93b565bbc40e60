// The links page filter: shows only the links whose title, site or section match the words
// typed. Progressive enhancement: without this script the form stays hidden and every link
// is listed.
(() => {
  "use strict";
  const form = document.querySelector("[data-links-filter]");
  if (!form) return;
  const input = form.querySelector("input");
  const status = form.querySelector("[role=status]");
  const months = [...document.querySelectorAll(".link-month")];
  const fold = (text) => text.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase();
  const rows = months.flatMap((month) =>
    [...month.querySelectorAll("li")].map((li) => ({ li, month, text: fold(li.textContent) })),
  );
  let timer = 0;

  function apply() {
    const words = fold(input.value).split(/\s+/).filter(Boolean);
    const shown = new Set();
    let count = 0;
    for (const row of rows) {
      const match = words.every((word) => row.text.includes(word));
      row.li.hidden = !match;
      if (match) {
        count += 1;
        shown.add(row.month);
      }
    }
    for (const month of months) month.hidden = !shown.has(month);
    status.textContent = words.length
      ? `${count} of ${rows.length} links match “${input.value.trim()}”.`
      : "";
    const url = new URL(location.href);
    if (words.length) url.searchParams.set("q", input.value.trim());
    else url.searchParams.delete("q");
    history.replaceState(null, "", url);
  }

  form.addEventListener("submit", (event) => event.preventDefault());
  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(apply, 120);
  });
  input.value = new URLSearchParams(location.search).get("q") || "";
  const hint = document.querySelector("[data-links-filter-hint]");
  if (hint) hint.hidden = true;
  form.hidden = false;
  if (input.value) apply();
})();
