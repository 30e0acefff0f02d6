// The site's only script; every page works without it (and CSP forbids inline scripts).
// Pickers: <input data-pick hx-get=... hx-target="#select"> swaps the server's matches into the <select>
// and chooses the first, which recomputes the answer.
function setUp(root) {
  for (const input of root.querySelectorAll("input[data-pick]")) {
    if (input.dataset.ready) continue;
    input.dataset.ready = "1";
    input.hidden = false;
    for (const type of ["input", "change", "keyup"]) input.addEventListener(type, (event) => event.stopPropagation());
    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter") { event.preventDefault(); document.getElementById(input.getAttribute("aria-controls"))?.focus(); }
    });
  }
}
document.addEventListener("htmx:afterSwap", (event) => {
  const input = event.detail.requestConfig.elt;
  const select = event.detail.target;
  if (!(select instanceof HTMLSelectElement) || !input.matches("input[data-pick]")) return;
  const first = [...select.options].find((option) => !option.disabled);
  input.setAttribute("aria-invalid", first ? "false" : "true");
  if (first) { select.value = first.value; select.dispatchEvent(new Event("change", { bubbles: true })); }
});
document.addEventListener("htmx:load", (event) => setUp(event.target));

document.addEventListener("DOMContentLoaded", () => {
  setUp(document);
  // A term or guide opened from a result links back to it.
  const back = document.querySelector("[data-back-to-result]");
  if (back && document.referrer.startsWith(`${location.origin}/?`)) Object.assign(back, { href: document.referrer, hidden: false });
  // On a phone, a page that opens with an answer folds the inputs away: the answer comes first.
  const toggle = document.querySelector("details[data-collapse-on-phone]");
  if (toggle && window.matchMedia("(max-width: 63.99rem)").matches) toggle.open = false;
});

// Copy buttons: <button data-copy="element-id">.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-copy]");
  const source = button && document.getElementById(button.dataset.copy);
  if (!source || !navigator.clipboard) return;
  navigator.clipboard.writeText(source.innerText.trim()).then(() => {
    button.textContent = "Copied";
    setTimeout(() => { button.textContent = "Copy"; }, 2000);
  });
});
