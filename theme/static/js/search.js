// Site search over the Pagefind index. Pagefind's own script is imported only when the
// reader opens search (or arrives on the search page), never on page load. Titles and
// summaries of links come from the web, so results are built with textContent only.
(() => {
  "use strict";
  // The header partial and the search page both load this script; run it once.
  const anchor = document.querySelector("[data-search-root]");
  if (window.siteSearchReady || !anchor) return;
  window.siteSearchReady = true;
  const root = new URL(anchor.dataset.searchRoot, location.href);
  const box = document.querySelector("[data-search]");
  const PAGE = 10;
  // Posts first, then links: a short link summary outranks a long post that is about the
  // very thing searched for, and readers look for the author's own writing first.
  const POSTS = { filters: { not: { kind: "link" } } };
  const LINKS = { filters: { kind: "link" } };
  let engine = null;

  function load() {
    engine ??= import(new URL("pagefind/pagefind.js", root).href).then(async (pagefind) => {
      await pagefind.options({ excerptLength: 24 });
      await pagefind.init();
      return pagefind;
    });
    return engine;
  }

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }

  // The index holds text escaped once (&amp; &lt; &gt;: linkdigest/search.py), so that no
  // tag is ever stored in it; this turns it back into the text to show.
  function unescape(text) {
    return text.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
  }

  // Pagefind marks hits with <mark> and escapes only < and >; every other piece is text.
  function excerpt(html) {
    const paragraph = element("p", "search-excerpt");
    html.split(/<\/?mark>/).forEach((part, index) => {
      const text = unescape(part);
      paragraph.append(index % 2 ? element("mark", "", text) : text);
    });
    return paragraph;
  }

  // Pagefind prefixes result URLs with the site's base path, taken from its own URL.
  function item({ title, url, text, domain, where }) {
    const li = element("li", "search-result");
    const heading = element("p", "search-title");
    const link = element("a", "", unescape(title || "") || url);
    link.href = url;
    heading.append(link);
    if (domain) heading.append(" ", element("span", "domain", domain));
    li.append(heading, excerpt(text || ""));
    if (where) li.append(element("p", "search-where", where));
    return li;
  }

  // A digest's links are one document; each link that matched is a sub-result at its anchor.
  function items(data) {
    if (!data.filters?.kind?.includes("link")) {
      return [{ title: data.meta.title, url: data.url, text: data.excerpt }];
    }
    // [domain, section] per h3 in order (an older index: keyed by anchor id).
    const links = JSON.parse(data.meta.links || "[]");
    const order = (data.anchors || []).filter((a) => /^h3$/i.test(a.element)).map((a) => a.id);
    const at = (sub) =>
      Array.isArray(links) ? links[order.indexOf(sub.anchor.id)] : links[sub.anchor.id];
    return data.sub_results
      .filter((sub) => sub.anchor && Array.isArray(at(sub)))
      .sort((a, b) => b.locations.length - a.locations.length)
      .map((sub) => {
        const [domain, section] = at(sub);
        const where = `Link in ${unescape(data.meta.title)}${section ? ` · ${section}` : ""}`;
        return { title: sub.title, url: sub.url, text: sub.excerpt, domain, where };
      });
  }

  function count(number, noun) {
    return `${number} ${noun}${number === 1 ? "" : "s"}`;
  }

  function widget(scope, onTerm) {
    const input = scope.querySelector("input[type=search]");
    const status = scope.querySelector(".search-status");
    const list = scope.querySelector(".search-results");
    const more = scope.querySelector(".search-more");
    let found = [];
    let shown = 0;
    let turn = 0;

    async function show(mine) {
      const batch = await Promise.all(found.slice(shown, shown + PAGE).map((r) => r.data()));
      if (mine !== turn) return;
      shown += batch.length;
      list.append(...batch.flatMap(items).map(item));
      more.hidden = shown >= found.length;
    }

    async function run() {
      const mine = ++turn;
      const term = input.value.trim();
      if (onTerm) onTerm(term);
      try {
        const pagefind = await load();
        const posts = await pagefind.debouncedSearch(term, POSTS, 200);
        if (posts === null || mine !== turn) return;
        const links = term ? (await pagefind.search(term, LINKS)).results : [];
        if (mine !== turn) return;
        found = term ? [...posts.results, ...links] : [];
        shown = 0;
        list.replaceChildren();
        await show(mine);
        const parts = [];
        if (posts.results.length) parts.push(count(posts.results.length, "post"));
        if (links.length) parts.push(`links from ${count(links.length, "digest")}`);
        const counts = parts.join(" and ").replace(/^./, (first) => first.toUpperCase());
        status.textContent = !term ? "" : found.length ? counts : `No results for “${term}”`;
      } catch {
        status.textContent = "Search is not available right now.";
        more.hidden = true;
      }
    }

    input.addEventListener("input", run);
    more.addEventListener("click", () => show(turn));
    scope.querySelector("form").addEventListener("submit", (event) => {
      event.preventDefault();
      list.querySelector("a")?.focus();
    });
    return { input, run };
  }

  const page = document.querySelector("[data-search-page]");
  let search = null;
  if (page) {
    search = widget(page, (term) => {
      const url = new URL(location.href);
      if (term) url.searchParams.set("q", term);
      else url.searchParams.delete("q");
      history.replaceState(null, "", url);
    });
    const term = new URLSearchParams(location.search).get("q");
    if (term) {
      search.input.value = term;
      search.run();
    }
    box?.querySelector(".search-open").addEventListener("click", (event) => {
      event.preventDefault();
      open();
    });
  }

  const dialog = box?.querySelector("dialog");
  if (!page && typeof dialog?.showModal === "function") {
    search = widget(dialog);
    box.querySelector(".search-close").addEventListener("click", () => dialog.close());
    dialog.addEventListener("click", (event) => {
      if (event.target === dialog || event.target.closest(".search-results a")) dialog.close();
    });
    box.querySelector(".search-open").addEventListener("click", (event) => {
      if (event.ctrlKey || event.metaKey || event.shiftKey || event.button) return;
      event.preventDefault();
      open();
    });
  }

  function open() {
    if (!search) return;
    if (!page) {
      load().catch(() => {});
      if (!dialog.open) dialog.showModal();
    }
    search.input.focus();
    search.input.select();
  }

  document.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || event.altKey) return;
    const typing = event.target.closest?.("input, textarea, select, [contenteditable]");
    const slash = event.key === "/" && !typing && !event.ctrlKey && !event.metaKey;
    const ctrlK = event.key.toLowerCase() === "k" && (event.ctrlKey || event.metaKey);
    if (slash || ctrlK) {
      event.preventDefault();
      open();
    }
  });
})();
