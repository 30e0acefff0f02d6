// Type-to-find for long <select>s: <input type="search" data-filter="select-id">. Every word typed must
// appear in an option's text or data-search ("qwen coder", "70b"). Without JavaScript the input stays
// hidden and the plain <select> works as before. No inline script anywhere (Content-Security-Policy).
const normalise = (text) => text.toLowerCase().replace(/[^a-z0-9.]+/g, " ");

function filterSelect(input) {
  const select = document.getElementById(input.dataset.filter);
  if (!select) return;
  const words = normalise(input.value).split(" ").filter(Boolean);
  let first = null;
  for (const option of select.options) {
    const haystack = normalise(`${option.text} ${option.value} ${option.dataset.search || ""}`);
    const match = words.every((word) => haystack.includes(word));
    option.hidden = !match;
    option.disabled = !match;
    if (match && !first) first = option;
  }
  const current = select.options[select.selectedIndex];
  if (first && (!current || current.hidden)) {
    select.value = first.value;
    select.dispatchEvent(new Event("change", { bubbles: true }));
  }
  input.setAttribute("aria-invalid", first ? "false" : "true");
}

function setUp(root) {
  for (const input of root.querySelectorAll("input[data-filter]")) {
    if (input.dataset.ready) continue;
    input.dataset.ready = "1";
    input.hidden = false;
    // Typing here filters the list; it is not itself a question, so the form does not recompute.
    input.addEventListener("input", (event) => { event.stopPropagation(); filterSelect(input); });
    input.addEventListener("change", (event) => event.stopPropagation());
    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter") { event.preventDefault(); document.getElementById(input.dataset.filter)?.focus(); }
    });
  }
}

document.addEventListener("DOMContentLoaded", () => setUp(document));
document.addEventListener("htmx:load", (event) => setUp(event.target));
