// The site's only script; every page works without it (and CSP forbids inline scripts).
// Pickers (markup: templates/calculator/page.html): typing narrows the list; the choice stays while listed,
// else the first match is taken and recomputes; an emptied finder brings back the choice from before typing.
function setUp(root) {
  for (const input of root.querySelectorAll("input[data-pick]")) {
    if (input.dataset.ready) continue;
    input.dataset.ready = "1";
    input.hidden = false;
    const select = () => document.getElementById(input.getAttribute("aria-controls"));
    for (const type of ["input", "change", "keyup"]) input.addEventListener(type, (event) => event.stopPropagation());
    input.addEventListener("focus", () => { input.dataset.before = select()?.value ?? ""; });
    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter") { event.preventDefault(); select()?.focus(); }
    });
  }
}
for (const type of ["htmx:beforeSwap", "htmx:afterSwap"]) document.addEventListener(type, (event) => {
  const input = event.detail.requestConfig?.elt;  // none on a swap that restores history (back, forward)
  const select = event.detail.target;
  if (!(select instanceof HTMLSelectElement) || !input?.matches("input[data-pick]")) return;
  const chosen = select.dataset.chosen;
  if (type === "htmx:beforeSwap") { select.dataset.chosen = select.value; return; }
  const values = [...select.options].filter((o) => !o.disabled).map((o) => o.value);
  const wanted = [input.value.trim() ? "" : input.dataset.before, chosen].find((v) => v && values.includes(v)) || values[0];
  input.setAttribute("aria-invalid", values.length ? "false" : "true");
  if (!wanted) return;
  select.value = wanted;
  if (wanted !== chosen) select.dispatchEvent(new Event("change", { bubbles: true }));
});
document.addEventListener("htmx:load", (event) => setUp(event.target));

// The sticky verdict bar's height, for what a link into the answer jumps to (site.css #result [id])
const barSize = new ResizeObserver(([b]) => document.documentElement.style.setProperty("--verdict-bar-h", `${b.borderBoxSize[0].blockSize}px`));
function watchBar() {
  barSize.disconnect();
  const bar = document.querySelector("#result .verdict-bar");
  if (bar) barSize.observe(bar);
}
document.addEventListener("htmx:afterSettle", watchBar);
// Set up on load, and when Back or Forward brings the page from the server (base.html: no history cache),
// the question folded as it was left
let folded;
function pageReady() {
  setUp(document);
  watchBar();
  // The question's height sets its sticky top (site.css)
  const q = document.querySelector(".calc>.question");
  if (q) new ResizeObserver(() => q.style.setProperty("--question-h", `${q.offsetHeight}px`)).observe(q);
  // A term or guide opened from a result links back to it.
  const back = document.querySelector("[data-back-to-result]");
  if (back && document.referrer.startsWith(`${location.origin}/?`)) Object.assign(back, { href: document.referrer, hidden: false });
  // On a phone, a page that opens with an answer folds the inputs away: the answer comes first.
  const toggle = document.querySelector("details[data-collapse-on-phone]");
  if (toggle && window.matchMedia("(max-width: 63.99rem)").matches) toggle.open = folded ?? false;
  document.querySelectorAll("[data-detect-gpu]").forEach((b) => { b.hidden = false; });
}
document.addEventListener("DOMContentLoaded", pageReady);
document.addEventListener("htmx:historyCacheMiss", () => { folded = document.querySelector("details[data-collapse-on-phone]")?.open; });
document.addEventListener("htmx:historyRestore", pageReady);

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

// Paste my rig: the pasted text goes to POST /rig/ only, never into the page's address.
document.addEventListener("htmx:configRequest", (e) => { if (e.detail.verb === "get") delete e.detail.parameters.rig; });
// Detect my GPU: the name WebGPU gives goes into GPU 1's finder; where it gives none, say so plainly.
document.addEventListener("click", async (e) => {
  if (!e.target.closest("[data-detect-gpu]")) return;
  const say = (t) => { document.getElementById("error-rig").textContent = t; };
  const a = navigator.gpu && await navigator.gpu.requestAdapter().catch(() => null);
  const i = (a && a.info) || {};
  const find = document.querySelector("[aria-controls=id_gpu_1]");
  if (!i.description || !find) {
    return say(a ? `Your browser says “${[i.vendor, i.architecture].filter(Boolean).join(" ") || "a GPU"}” but not which one: paste nvidia-smi or system_profiler instead.`
      : "This browser cannot tell (no WebGPU adapter): paste nvidia-smi or system_profiler instead.");
  }
  find.value = i.description;
  find.dispatchEvent(new Event("search"));
  say(`Your browser says: ${i.description}. Check GPU 1.`);
});
// Phone: an answer recomputed below the question being edited pins its verdict, a link to it, till seen.
document.addEventListener("htmx:afterSwap", (event) => {
  const pin = document.getElementById("verdict-pin");
  if (pin) pin.hidden = true;
  const verdict = event.detail.target?.id === "result" && document.querySelector("#result .first .verdict");
  if (!verdict || !window.matchMedia("(max-width: 63.99rem)").matches) return;
  if (verdict.getBoundingClientRect().top < window.innerHeight) return;
  const link = pin || document.body.appendChild(Object.assign(document.createElement("a"), { id: "verdict-pin", href: "#result" }));
  Object.assign(link, { className: `${verdict.className} verdict-pin`, textContent: `${verdict.textContent.trim()} ↓`, hidden: false });
  // never over the field being edited (nor one tabbed to: site.css scroll-padding)
  if (document.activeElement?.closest("#question")) document.activeElement.scrollIntoView({ block: "nearest" });
  new IntersectionObserver((seen, watch) => {
    if (seen.some((s) => s.isIntersecting)) { link.hidden = true; watch.disconnect(); }
  }).observe(verdict);
});
