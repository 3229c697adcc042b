// clipsearch page: plain modern JavaScript, no build step. Talks to the JSON API of the same server only.
// State that can be shared lives in the URL (history API), so the back button and links work; an example image
// chosen for query-by-example lives only in this page's memory and is sent with each search, never stored.

const PAGE = 24;
const TOKEN_KEY = "clipsearch.token";

const $ = (id) => document.getElementById(id);
const el = (tag, props = {}, ...children) => {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key in node && typeof value !== "string") node[key] = value;
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children) if (child !== null && child !== undefined) node.append(child);
  return node;
};

// ------------------------------------------------------------------------------------------------ API access

let token = sessionStorage.getItem(TOKEN_KEY);
let authPrompt = null;

class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** Asks for the access token once (a modal dialog); concurrent callers share the same prompt. */
function askToken(message) {
  if (authPrompt) return authPrompt;
  authPrompt = new Promise((resolve) => {
    const dialog = $("auth");
    if (message) $("auth-text").textContent = message;
    const input = $("auth-token");
    input.value = "";
    const form = $("auth-form");
    const done = (event) => {
      event.preventDefault();
      const value = input.value.trim();
      if (!value) return;
      token = value;
      sessionStorage.setItem(TOKEN_KEY, value);
      form.removeEventListener("submit", done);
      dialog.close();
      authPrompt = null;
      resolve(value);
    };
    form.addEventListener("submit", done);
    dialog.addEventListener("cancel", (e) => e.preventDefault(), { once: true });
    dialog.showModal();
    input.focus();
  });
  return authPrompt;
}

async function apiFetch(path, options = {}, attempt = 0) {
  const headers = new Headers(options.headers || {});
  if (token) headers.set("Authorization", `Bearer ${token}`);
  const response = await fetch(path, { ...options, headers, cache: "no-store" });
  if (response.status === 401 && attempt < 5) {
    await askToken(token ? "That token was not accepted. Enter the access token the server was started with."
                         : undefined);
    return apiFetch(path, options, attempt + 1);
  }
  return response;
}

async function api(path, options = {}) {
  const response = await apiFetch(path, options);
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  if (!response.ok) {
    throw new ApiError(response.status, (body && body.error) || `The server answered ${response.status}.`);
  }
  return body;
}

const postJson = (path, data) =>
  api(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(data) });

// Images: with a token, <img src> cannot send the Authorization header, so they are fetched and shown as blobs.
const blobUrls = new Set();
const lazyImages = "IntersectionObserver" in window
  ? new IntersectionObserver((entries) => {
      for (const entry of entries) {
        if (entry.isIntersecting) {
          lazyImages.unobserve(entry.target);
          loadImage(entry.target, entry.target.dataset.src);
        }
      }
    }, { rootMargin: "1200px" })
  : null;

function setImage(img, url, { lazy = true } = {}) {
  if (!token) {
    if (lazy) img.loading = "lazy";
    img.src = url;
    return;
  }
  img.dataset.src = url;
  if (lazy && lazyImages) lazyImages.observe(img);
  else loadImage(img, url);
}

async function loadImage(img, url) {
  try {
    const response = await apiFetch(url);
    if (!response.ok) throw new Error(String(response.status));
    const blobUrl = URL.createObjectURL(await response.blob());
    blobUrls.add(blobUrl);
    img.src = blobUrl;
  } catch {
    img.classList.add("broken");
  }
}

function releaseImages(container) {
  for (const img of container.querySelectorAll("img")) {
    if (img.src.startsWith("blob:") && blobUrls.has(img.src)) {
      URL.revokeObjectURL(img.src);
      blobUrls.delete(img.src);
    }
    if (lazyImages) lazyImages.unobserve(img);
  }
}

// ------------------------------------------------------------------------------------------------ URL state

const FILTER_KEYS = ["folder", "from", "to", "format", "label"];

function readState() {
  const p = new URLSearchParams(location.search);
  const view = ["search", "classify", "labels"].includes(p.get("view")) ? p.get("view") : "search";
  return {
    view,
    q: p.get("q") || "",
    similar: p.get("similar") || "",
    folder: p.get("folder") || "",
    from: p.get("from") || "",
    to: p.get("to") || "",
    format: p.get("format") || "",
    label: p.get("label") || "",
    // The relevance cutoff is on unless the URL turns it off (cutoff=0); the raw API's default stays off.
    cutoff: p.get("cutoff") !== "0",
    image: p.get("image") || "",
    cid: p.get("cid") || "",
  };
}

function stateUrl(s) {
  const p = new URLSearchParams();
  if (s.view && s.view !== "search") p.set("view", s.view);
  if (s.q) p.set("q", s.q);
  if (s.similar) p.set("similar", s.similar);
  for (const key of FILTER_KEYS) if (s[key]) p.set(key, s[key]);
  if (!s.cutoff) p.set("cutoff", "0");
  if (s.cid) p.set("cid", s.cid);
  if (s.image) p.set("image", s.image);
  const query = p.toString();
  return query ? `?${query}` : location.pathname;
}

let state = readState();

/** Moves to a new state: a history entry (push) or an in-place update (replace), then renders it. */
function navigate(changes, { replace = false } = {}) {
  const opensDialog = Boolean(changes.image) && !state.image;
  state = { ...state, ...changes };
  const url = stateUrl(state);
  if (replace || url === (location.search || location.pathname)) {
    history.replaceState(history.state, "", url);
  } else {
    // Entries that open the details dialog are marked, so that closing it can go back instead of piling up.
    history.pushState({ dialog: opensDialog }, "", url);
  }
  render();
}

window.addEventListener("popstate", () => {
  state = readState();
  example = null;
  render();
});

// ------------------------------------------------------------------------------------------------ rendering

let lastSearchKey = null;
let lastClassifyId = null;

function render() {
  for (const view of ["search", "classify", "labels"]) {
    $(`view-${view}`).hidden = state.view !== view;
  }
  for (const tab of document.querySelectorAll(".view-tab")) {
    if (tab.dataset.view === state.view) tab.setAttribute("aria-current", "page");
    else tab.removeAttribute("aria-current");
  }
  if (state.view === "search") {
    $("q").value = state.q;
    $("f-folder").value = state.folder;
    $("f-from").value = state.from;
    $("f-to").value = state.to;
    $("f-format").value = state.format;
    showLabelChoice(state.label);
    $("f-label").value = state.label;
    $("f-cutoff").checked = state.cutoff;
    // The badge counts the filters that restrict the results; the cutoff, on by default, is not one of them.
    const active = FILTER_KEYS.filter((k) => state[k]).length;
    $("filter-count").hidden = active === 0;
    $("filter-count").textContent = String(active);
    if (active) $("filters").open = true;
    renderExample();
    const key = searchKey();
    if (key !== lastSearchKey) {
      lastSearchKey = key;
      startSearch();
    }
  }
  if (state.view === "classify" && state.cid && state.cid !== lastClassifyId) {
    chooseIndexed(state.cid);
  }
  if (state.image) openDetail(state.image);
  else if ($("detail").open) closeDetailDialog();
  document.title = state.q ? `${state.q} — clipsearch` : "clipsearch";
}

function searchKey() {
  return JSON.stringify([state.q, state.similar, state.folder, state.from, state.to, state.format, state.label,
    state.cutoff,
    example ? example.serial : 0]);
}

// ------------------------------------------------------------------------------------------------ search

let example = null; // { file, url, serial }
let exampleSerial = 0;
// partial: the server was still indexing when it answered, so the search is run again once indexing ends.
const search = { offset: 0, hasMore: false, loadingGeneration: -1, generation: 0, shown: 0, partial: false };
const isLoading = () => search.loadingGeneration === search.generation;

function filterParams(params) {
  for (const key of FILTER_KEYS) if (state[key]) params.set(key, state[key]);
  if (state.cutoff) params.set("cutoff", "true");
  return params;
}

function hasQuery() {
  return Boolean(state.q || state.similar || example);
}

function startSearch() {
  const results = $("results");
  releaseImages(results);
  results.replaceChildren();
  search.offset = 0;
  search.shown = 0;
  search.hasMore = false;
  search.partial = false;
  search.generation += 1;
  $("search-error").hidden = true;
  $("load-more").hidden = true;
  $("show-all").hidden = true;
  $("empty-hint").hidden = hasQuery();
  $("search-summary").textContent = "";
  if (hasQuery()) loadPage();
}

async function loadPage() {
  if (isLoading()) return;
  const generation = search.generation;
  search.loadingGeneration = generation;
  $("load-more").disabled = true;
  $("search-summary").textContent = search.offset === 0 ? "Searching…" : $("search-summary").textContent;
  try {
    let result;
    if (example) {
      const form = new FormData();
      form.append("image", example.file, example.file.name || "example");
      if (state.q) form.append("q", state.q);
      for (const [key, value] of filterParams(new URLSearchParams())) form.append(key, value);
      form.append("k", String(PAGE));
      form.append("offset", String(search.offset));
      result = await api("/api/search", { method: "POST", body: form });
    } else if (state.similar) {
      const params = filterParams(new URLSearchParams({ k: PAGE, offset: search.offset }));
      result = await api(`/api/similar/${encodeURIComponent(state.similar)}?${params}`);
    } else {
      const params = filterParams(new URLSearchParams({ q: state.q, k: PAGE, offset: search.offset }));
      result = await api(`/api/search?${params}`);
    }
    if (generation !== search.generation) return;
    appendHits($("results"), result.hits);
    search.offset += result.hits.length;
    search.shown += result.hits.length;
    search.hasMore = result.has_more;
    if (result.indexing && !search.partial) {
      search.partial = true;
      // Follow the indexer closely (the status line polls every 3 s while it runs) to search again when it ends.
      refreshStatus();
    }
    $("load-more").hidden = !search.hasMore;
    // At the end of what the cutoff let through, a way to the rest (the cutoff is on by default).
    $("show-all").hidden = !state.cutoff || search.hasMore;
    $("search-summary").textContent = summaryText(result);
  } catch (error) {
    if (generation !== search.generation) return;
    showError("search-error", error);
    $("search-summary").textContent = "";
  } finally {
    if (search.loadingGeneration === generation) search.loadingGeneration = -1;
    if (generation === search.generation) {
      $("load-more").disabled = false;
      // A tall screen may still show the end of the grid: keep filling it.
      if (search.hasMore && sentinelNearViewport()) loadPage();
    }
  }
}

const SCROLL_MARGIN = 300;
function sentinelNearViewport() {
  return state.view === "search" && $("sentinel").getBoundingClientRect().top < innerHeight + SCROLL_MARGIN;
}

function summaryText(result) {
  const what = example ? "like your example image" + (state.q ? ` and “${state.q}”` : "")
    : state.similar ? "similar to the chosen image" : `for “${state.q}”`;
  if (search.shown === 0) {
    // An empty answer while the collection is being indexed says "not yet", not "none".
    if (search.partial) {
      return `Nothing yet ${what}: the collection is still being indexed; this search runs again when it is done.`;
    }
    return state.cutoff ? `No clear matches ${what}.` : `No images ${what}.`;
  }
  return `${search.shown} image${search.shown === 1 ? "" : "s"} ${what}${search.hasMore ? " — scroll for more" : ""}`
    + ` (${result.took_ms} ms)` + (search.partial ? " — still indexing, more may come" : "");
}

function showError(id, error) {
  const node = $(id);
  node.textContent = error instanceof ApiError ? error.message : "Could not reach the server.";
  node.hidden = false;
}

function appendHits(list, hits, { onPick } = {}) {
  for (const hit of hits) {
    const img = el("img", { alt: hit.name, width: 256, height: 256, decoding: "async" });
    setImage(img, hit.thumbnail);
    const score = hit.probability !== undefined ? `${Math.round(hit.probability * 100)}%` : hit.score.toFixed(3);
    const button = el("button", {
      type: "button",
      class: "hit",
      "data-id": hit.id,
      "aria-label": `${hit.name}, ${hit.probability !== undefined ? "probability" : "score"} ${score}`,
      title: hit.path,
      onclick: () => (onPick ? onPick(hit, button) : navigate({ image: hit.id })),
    },
    img,
    el("span", { class: "caption" }, el("span", { class: "name", text: hit.name }),
      el("span", { class: "score", text: score })));
    list.append(el("li", {}, button));
  }
}

// Infinite scroll: a sentinel under the grid; when it comes near the viewport the next page loads.
if ("IntersectionObserver" in window) {
  new IntersectionObserver((entries) => {
    if (entries.some((e) => e.isIntersecting) && search.hasMore && !isLoading() && state.view === "search") {
      loadPage();
    }
  }, { rootMargin: `${SCROLL_MARGIN}px` }).observe($("sentinel"));
}
$("load-more").addEventListener("click", () => loadPage());
$("show-all").addEventListener("click", () => navigate({ cutoff: false }));

$("search-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const q = $("q").value.trim();
  if (!q && !example) {
    $("q").focus();
    return;
  }
  lastSearchKey = null; // the same query again searches again
  navigate({ view: "search", q, similar: "", image: "" });
});

$("filter-form").addEventListener("submit", (event) => {
  event.preventDefault();
  navigate({
    folder: $("f-folder").value.trim(),
    from: $("f-from").value,
    to: $("f-to").value,
    format: $("f-format").value,
    label: $("f-label").value,
    cutoff: $("f-cutoff").checked,
  });
});
$("f-cutoff").addEventListener("change", () => navigate({ cutoff: $("f-cutoff").checked }));
$("filters-clear").addEventListener("click", () =>
  navigate({ folder: "", from: "", to: "", format: "", label: "", cutoff: true }));

/**
 * The label filter offers the index's tags (from /api/stats) and is shown only when there are some, or when the URL
 * names one (a shared link): a label the index does not know still filters, to nothing.
 */
function showLabelChoice(...labels) {
  const select = $("f-label");
  const known = new Set([...select.options].map((o) => o.value));
  for (const label of labels) {
    if (label && !known.has(label)) {
      select.append(el("option", { value: label, text: label }));
      known.add(label);
    }
  }
  $("f-label-field").hidden = select.options.length <= 1;
}

// ------------------------------------------------------------------------------------------------ query by example

function setExample(file) {
  if (!file) return;
  if (file.type && !file.type.startsWith("image/")) {
    showError("search-error", new ApiError(400, "That file is not an image."));
    return;
  }
  if (example) URL.revokeObjectURL(example.url);
  example = { file, url: URL.createObjectURL(file), serial: ++exampleSerial };
  if (state.view !== "search" || state.similar || state.image) {
    navigate({ view: "search", similar: "", image: "" });
  } else {
    render();
  }
}

function renderExample() {
  $("example").hidden = !example;
  if (example) {
    $("example-preview").src = example.url;
    $("example-preview").alt = `Example image ${example.file.name || ""}`.trim();
    $("example-text").textContent = `Searching by example image ${example.file.name || ""}`.trim();
  }
}

$("example-file").addEventListener("change", (event) => {
  setExample(event.target.files[0]);
  event.target.value = "";
});
$("example-clear").addEventListener("click", () => {
  if (example) URL.revokeObjectURL(example.url);
  example = null;
  render();
  $("q").focus();
});

let dragDepth = 0;
const hasFiles = (event) => [...(event.dataTransfer?.types || [])].includes("Files");
document.addEventListener("dragenter", (event) => {
  if (!hasFiles(event)) return;
  dragDepth += 1;
  $("drop-overlay").hidden = false;
});
document.addEventListener("dragleave", () => {
  dragDepth = Math.max(0, dragDepth - 1);
  if (dragDepth === 0) $("drop-overlay").hidden = true;
});
document.addEventListener("dragover", (event) => {
  if (hasFiles(event)) event.preventDefault();
});
document.addEventListener("drop", (event) => {
  if (!hasFiles(event)) return;
  event.preventDefault();
  dragDepth = 0;
  $("drop-overlay").hidden = true;
  const file = event.dataTransfer.files[0];
  if (state.view === "classify") chooseUpload(file);
  else setExample(file);
});

// ------------------------------------------------------------------------------------------------ details dialog

let detailId = null;
let suppressCloseNavigation = false;

async function openDetail(id) {
  const dialog = $("detail");
  if (detailId === id && dialog.open) return;
  detailId = id;
  $("detail-title").textContent = "Loading…";
  $("detail-meta").replaceChildren();
  releaseImages($("detail-similar"));
  $("detail-similar").replaceChildren();
  const image = $("detail-image");
  image.alt = "";
  image.removeAttribute("src");
  if (!dialog.open) dialog.showModal();
  try {
    const meta = await api(`/api/images/${encodeURIComponent(id)}`);
    if (detailId !== id) return;
    $("detail-title").textContent = meta.name;
    image.alt = meta.name;
    // The original when the browser can show its format; else the stored thumbnail.
    const browserShows = ["jpeg", "png", "gif", "webp", "bmp"].includes(meta.format);
    image.onerror = () => {
      image.onerror = null;
      if (meta.thumbnail) setImage(image, meta.thumbnail, { lazy: false });
    };
    setImage(image, browserShows ? meta.file : meta.thumbnail || meta.file, { lazy: false });
    renderMeta(meta);
    const open = $("detail-open");
    open.href = meta.file;
    open.onclick = token ? (event) => { event.preventDefault(); openOriginal(meta.file); } : null;
    const similar = await api(`/api/similar/${encodeURIComponent(id)}?k=8`);
    if (detailId !== id) return;
    appendHits($("detail-similar"), similar.hits, { onPick: (hit) => navigate({ image: hit.id }, { replace: true }) });
  } catch (error) {
    if (detailId !== id) return;
    $("detail-title").textContent = error instanceof ApiError && error.status === 404
      ? "This image is not in the index" : "Could not load this image";
    $("detail-meta").replaceChildren(el("dd", { text: error.message }));
  }
}

async function openOriginal(url) {
  const response = await apiFetch(url);
  if (!response.ok) return;
  const blobUrl = URL.createObjectURL(await response.blob());
  window.open(blobUrl, "_blank", "noopener");
  setTimeout(() => URL.revokeObjectURL(blobUrl), 60_000);
}

function renderMeta(meta) {
  const rows = [
    ["File", meta.name],
    ["Folder", meta.folder],
    ["Size", `${meta.width} × ${meta.height} px, ${formatBytes(meta.size)}`],
    ["Format", meta.format.toUpperCase()],
    ["Date", formatDate(meta.date) + (meta.exif.captured ? " (taken)" : " (modified)")],
  ];
  const camera = [meta.exif.camera_make, meta.exif.camera_model].filter(Boolean).join(" ");
  if (camera) rows.push(["Camera", camera]);
  if (meta.exif.latitude !== null && meta.exif.longitude !== null) {
    rows.push(["Location", `${meta.exif.latitude.toFixed(5)}, ${meta.exif.longitude.toFixed(5)}`]);
  }
  const list = $("detail-meta");
  list.replaceChildren();
  for (const [term, value] of rows) list.append(el("dt", { text: term }), el("dd", { text: value }));
  if (meta.tags && meta.tags.length) {
    // Each tag filters the search by that label.
    const tags = meta.tags.map((t) => el("button", {
      type: "button", class: "ghost tag", title: `Only images tagged “${t.label}”`,
      text: `${t.label} ${Math.round(t.probability * 100)}%`,
      onclick: () => navigate({ label: t.label, image: "" }),
    }));
    list.append(el("dt", { text: "Tags" }), el("dd", { class: "tags" }, ...tags));
  }
  const folderButton = el("button", {
    type: "button", class: "ghost", text: "Only this folder",
    onclick: () => navigate({ folder: meta.folder, image: "" }),
  });
  list.append(el("dt", { text: "" }), el("dd", {}, folderButton));
}

const formatBytes = (n) => n < 1024 ? `${n} B` : n < 1048576 ? `${(n / 1024).toFixed(1)} KB`
  : `${(n / 1048576).toFixed(1)} MB`;
const formatDate = (iso) => {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
};

function closeDetailDialog() {
  detailId = null;
  if ($("detail").open) {
    suppressCloseNavigation = true;
    $("detail").close();
  }
}

$("detail").addEventListener("close", () => {
  detailId = null;
  if (suppressCloseNavigation) {
    suppressCloseNavigation = false;
    return;
  }
  if (state.image) {
    // Closing the dialog undoes opening it: back to the entry without the image, or the same entry without it.
    if (history.state && history.state.dialog) history.back();
    else navigate({ image: "" }, { replace: true });
  }
});
$("detail-close").addEventListener("click", () => $("detail").close());
$("detail").addEventListener("click", (event) => {
  if (event.target === $("detail")) $("detail").close(); // a click on the backdrop
});
// Both replace the dialog's history entry: back returns to where the dialog was opened from.
$("detail-more").addEventListener("click", () => {
  const id = state.image;
  example = null;
  lastSearchKey = null;
  suppressCloseNavigation = true;
  $("detail").close();
  navigate({ view: "search", similar: id, q: "", image: "" }, { replace: true });
});
$("detail-classify").addEventListener("click", () => {
  const id = state.image;
  suppressCloseNavigation = true;
  $("detail").close();
  navigate({ view: "classify", cid: id, image: "" }, { replace: true });
});

// ------------------------------------------------------------------------------------------------ classify

let classifyChoice = null; // { kind: "indexed", id } or { kind: "upload", file, url }

async function chooseIndexed(id, name) {
  lastClassifyId = id;
  if (classifyChoice?.kind === "upload") URL.revokeObjectURL(classifyChoice.url);
  classifyChoice = { kind: "indexed", id };
  const preview = $("c-preview");
  preview.hidden = false;
  setImage(preview, `/api/images/${encodeURIComponent(id)}/thumbnail`, { lazy: false });
  preview.alt = name ? `Chosen image ${name}` : "Chosen image";
  $("c-chosen-text").textContent = name ? `From the index: ${name}` : "From the index";
  if (!name) {
    try {
      const meta = await api(`/api/images/${encodeURIComponent(id)}`);
      if (classifyChoice?.id === id) {
        $("c-chosen-text").textContent = `From the index: ${meta.name}`;
        preview.alt = `Chosen image ${meta.name}`;
      }
    } catch (error) {
      showError("classify-error", error);
    }
  }
}

function chooseUpload(file) {
  if (!file) return;
  if (classifyChoice?.kind === "upload") URL.revokeObjectURL(classifyChoice.url);
  classifyChoice = { kind: "upload", file, url: URL.createObjectURL(file) };
  lastClassifyId = null;
  const preview = $("c-preview");
  preview.hidden = false;
  preview.src = classifyChoice.url;
  preview.alt = `Uploaded image ${file.name || ""}`.trim();
  $("c-chosen-text").textContent = `Uploaded: ${file.name || "image"} (not stored)`;
  if (state.cid) navigate({ cid: "" }, { replace: true });
}

$("c-file").addEventListener("change", (event) => {
  chooseUpload(event.target.files[0]);
  event.target.value = "";
});

async function findPicks() {
  const q = $("c-find").value.trim();
  if (!q) return;
  const list = $("c-picks");
  releaseImages(list);
  list.replaceChildren();
  try {
    const result = await api(`/api/search?${new URLSearchParams({ q, k: 12 })}`);
    appendHits(list, result.hits, {
      onPick: (hit, button) => {
        for (const b of list.querySelectorAll(".hit")) b.classList.toggle("selected", b === button);
        chooseIndexed(hit.id, hit.name);
        navigate({ cid: hit.id }, { replace: true });
      },
    });
  } catch (error) {
    showError("classify-error", error);
  }
}
$("c-find-button").addEventListener("click", findPicks);
$("c-find").addEventListener("keydown", (event) => {
  if (event.key === "Enter") {
    event.preventDefault();
    findPicks();
  }
});

$("classify-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  $("classify-error").hidden = true;
  const labels = $("c-labels").value.split(/[\n,]/).map((s) => s.trim()).filter(Boolean);
  if (!labels.length) {
    showError("classify-error", new ApiError(400, "Type at least one label."));
    return;
  }
  if (!classifyChoice) {
    showError("classify-error", new ApiError(400, "Choose an image first: upload one or pick one from the index."));
    return;
  }
  const submit = $("c-submit");
  submit.disabled = true;
  try {
    let result;
    if (classifyChoice.kind === "upload") {
      const form = new FormData();
      form.append("image", classifyChoice.file, classifyChoice.file.name || "image");
      form.append("labels", labels.join("\n"));
      result = await api("/api/classify", { method: "POST", body: form });
    } else {
      result = await postJson("/api/classify", { image_id: classifyChoice.id, labels });
    }
    renderBars(result.labels);
  } catch (error) {
    showError("classify-error", error);
  } finally {
    submit.disabled = false;
  }
});

function renderBars(labels) {
  const list = $("bars");
  list.replaceChildren();
  $("bars-empty").hidden = labels.length > 0;
  for (const { label, probability, score } of labels) {
    const percent = (probability * 100).toFixed(1);
    const fill = el("div", { class: "bar-fill" });
    list.append(el("li", { class: "bar-row", "aria-label": `${label}: ${percent}%` },
      el("span", { class: "bar-label", text: label }),
      el("div", { class: "bar-track", "aria-hidden": "true", title: `similarity ${score.toFixed(3)}` }, fill),
      el("span", { class: "bar-value", text: `${percent}%` })));
    // CSSOM, not a style attribute: the Content-Security-Policy allows no inline styles.
    requestAnimationFrame(() => { fill.style.width = `${Math.max(0.5, probability * 100)}%`; });
  }
}

// ------------------------------------------------------------------------------------------------ label search

$("labels-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  $("labels-error").hidden = true;
  const labels = $("l-labels").value.split(/[\n,]/).map((s) => s.trim()).filter(Boolean);
  if (!labels.length) return;
  const groups = $("label-groups");
  releaseImages(groups);
  groups.replaceChildren();
  $("labels-summary").textContent = "Sorting the index into your labels…";
  try {
    const result = await postJson("/api/labels/search", { labels, k: Number($("l-k").value) });
    $("labels-summary").textContent = `Sorted into ${result.labels.length} labels (${result.took_ms} ms).`;
    for (const group of result.labels) {
      const list = el("ul", { class: "grid small", "aria-label": `Images labelled ${group.label}` });
      appendHits(list, group.hits);
      groups.append(el("section", { class: "label-group" },
        el("h3", {}, `${group.label} `,
          el("span", { class: "count", text: `— ${group.count} image${group.count === 1 ? "" : "s"}` })),
        group.hits.length ? list : el("p", { class: "hint", text: "No image fits this label best." })));
    }
  } catch (error) {
    $("labels-summary").textContent = "";
    showError("labels-error", error);
  }
});

// ------------------------------------------------------------------------------------------------ views and status

for (const tab of document.querySelectorAll(".view-tab")) {
  tab.addEventListener("click", () => navigate({ view: tab.dataset.view, image: "" }));
}

let statusTimer = null;
async function refreshStatus() {
  clearTimeout(statusTimer);
  const line = $("index-status");
  try {
    const stats = await api("/api/stats");
    const model = stats.model ? stats.model.name : stats.server_model;
    line.replaceChildren(`${stats.images.toLocaleString()} images · model ${model}`);
    showLabelChoice(...Object.keys(stats.labels || {}));
    if (stats.indexing && stats.indexing.running) {
      const { done, total } = stats.indexing;
      line.append(" · ", el("span", { class: "busy", text: `indexing ${done}/${total || "?"}` }));
      statusTimer = setTimeout(refreshStatus, 3000);
    } else {
      statusTimer = setTimeout(refreshStatus, 60000);
      // The results on screen were answered while indexing ran: now the whole collection can answer.
      if (search.partial && state.view === "search" && hasQuery() && !isLoading()) startSearch();
    }
  } catch (error) {
    line.textContent = error instanceof ApiError ? error.message : "The server cannot be reached.";
    statusTimer = setTimeout(refreshStatus, 15000);
  }
}

refreshStatus();
render();
