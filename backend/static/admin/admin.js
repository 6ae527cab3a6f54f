// Parley's moderation page: vanilla JS over the admin endpoints. The DOM is built with
// createElement/textContent; the only HTML inserted is `comment.html`, which the server
// rendered and sanitized. The admin token lives in sessionStorage (this tab only).
"use strict";
(() => {
  const KEY = "parley.admin";
  const API = "api/v1/admin/";
  const ACTIONS = {
    pending: ["approve", "spam", "delete"],
    approved: ["spam", "delete"],
    spam: ["restore", "delete"],
    deleted: ["restore", "spam"],
  };
  const LABELS = { approve: "Approve", spam: "Spam", delete: "Delete", restore: "Restore" };
  const DONE = { approve: "approved", spam: "marked as spam", delete: "deleted", restore: "restored" };
  const TITLES = { pending: "Pending", approved: "Approved", spam: "Spam", deleted: "Deleted" };

  const $ = (id) => document.getElementById(id);
  const state = { site: "", token: "", status: "pending", next: null, search: null };

  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    Object.assign(node, props || {});
    for (const child of children) {
      if (child != null) node.append(child);
    }
    return node;
  }

  // "1 comment", "2 pending comments".
  function comments(n, kind) {
    return n + (kind ? " " + kind : "") + (n === 1 ? " comment" : " comments");
  }

  function say(text) { $("status").textContent = text; }
  function fail(text) { $("error").textContent = text; }

  async function call(method, path, body) {
    const init = { method, headers: { Authorization: "Bearer " + state.token } };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const response = await fetch(API + path, init);
    const data = response.status === 204 ? {} : await response.json().catch(() => ({}));
    if (!response.ok) {
      const message = (data.error && data.error.message) || "Request failed (" + response.status + ").";
      if (response.status === 401 || response.status === 403) signOut(message);
      throw new Error(message);
    }
    return data;
  }

  function signIn(site, token) {
    state.site = site;
    state.token = token;
    sessionStorage.setItem(KEY, JSON.stringify({ site, token }));
    $("login").hidden = true;
    $("queue").hidden = false;
    $("who").hidden = false;
    $("who").textContent = "Site: " + site;
    // A mail's "Reply" link (#site=...&reply=ID) opens that comment with the reply box.
    const reply = state.reply;
    state.reply = null;
    show(reply ? "approved" : "pending", !reply).then(() => reply && window.parleyDesk && window.parleyDesk.open(reply));
    if (window.parleyDesk) window.parleyDesk.blocks();
  }

  function signOut(message) {
    sessionStorage.removeItem(KEY);
    state.token = "";
    $("queue").hidden = true;
    $("who").hidden = true;
    $("login").hidden = false;
    $("comments").replaceChildren();
    fail(message || "");
    $("login-token").value = "";
    $("login-token").focus();
  }

  function when(iso) {
    const date = new Date(iso);
    // "December 3, 2026 at 11:52 AM", as the widget dates comments: never 12/3 against 3/12.
    return isNaN(date) ? iso : date.toLocaleString(undefined, { dateStyle: "long", timeStyle: "short" });
  }

  // Each thread's title and lock state, from the public read (one request per page shown).
  const threads = new Map();
  function thread(uri) {
    if (!threads.has(uri)) {
      const params = new URLSearchParams({ site: state.site, uri, limit: "1" });
      threads.set(uri, fetch("api/v1/comments?" + params)
        .then((r) => r.json()).then((d) => d.thread).catch(() => ({ uri, title: "", locked: false })));
    }
    return threads.get(uri);
  }

  function lockButton(li, uri) {
    const button = el("button", { type: "button", className: "lock" });
    const paint = (t) => {
      button.textContent = t.locked ? "Unlock thread" : "Lock thread";
      button.dataset.locked = String(t.locked);
    };
    thread(uri).then(paint);
    button.addEventListener("click", async () => {
      const locked = button.dataset.locked !== "true";
      try {
        const data = await call("POST", "threads/lock", { site: state.site, uri, locked });
        threads.set(uri, Promise.resolve(data.thread));
        for (const other of document.querySelectorAll("#comments > li")) {
          if (other.dataset.uri === uri) other.querySelector(".lock").dispatchEvent(new Event("repaint"));
        }
        say("Thread " + data.thread.uri + (data.thread.locked ? " is locked." : " is open."));
      } catch (error) {
        fail(error.message);
      }
    });
    button.addEventListener("repaint", () => thread(uri).then(paint));
    return button;
  }

  function item(comment) {
    const li = el("li", { id: "c-" + comment.id, tabIndex: -1 });
    li.dataset.id = comment.id;
    li.dataset.uri = comment.uri;
    const author = el("strong", { textContent: comment.author || "(erased)" });
    const pick = el("input", { type: "checkbox", className: "pick" });
    pick.setAttribute("aria-label", "Select the comment by " + (comment.author || "an erased author"));
    const heading = el("h3", {}, pick, " ", author, " on ");
    if (comment.author_role === "owner") author.after(" ", el("span", { className: "badge", textContent: "Author" }));
    if (comment.page_url) {
      // The page, named by its thread's title, and the comment's own permalink.
      const page = el("a", { href: comment.page_url + "#comments", textContent: comment.uri, rel: "noreferrer" });
      thread(comment.uri).then((t) => { if (t.title) page.textContent = t.title; });
      heading.append(page);
      if (comment.status === "approved") {
        heading.append(" · ", el("a", { href: comment.page_url + "#comment-" + comment.id, textContent: "permalink", rel: "noreferrer" }));
      }
    } else {
      heading.append(el("code", { textContent: comment.uri }));
    }
    li.append(heading);
    const meta = el("p", { className: "meta" });
    if (comment.email) {
      meta.append(el("a", { href: "mailto:" + comment.email, textContent: comment.email }), " · ");
    }
    if (comment.website) meta.append(el("span", { textContent: comment.website }), " · ");
    meta.append(el("time", { dateTime: comment.created, textContent: when(comment.created) }));
    if (comment.parent) meta.append(" · reply to " + comment.parent);
    li.append(meta);
    if (comment.reason && comment.status !== "approved") {
      // Why it was held; Approve, Restore and Spam below each teach the site's spam filter.
      li.append(el("p", { className: "reason", textContent: "Held: " + comment.reason + " (Approve or Spam teaches the filter)" }));
    }
    const body = el("div", { className: "body" });
    body.innerHTML = comment.html; // sanitized on the server: the page's only innerHTML
    li.append(body);
    const actions = el("div", { className: "actions", role: "group" });
    actions.setAttribute("aria-label", "Moderate the comment by " + (comment.author || "an erased author"));
    const status = state.search ? comment.status : state.status; // a result acts as its queue
    for (const action of ACTIONS[status]) {
      const button = el("button", { type: "button", textContent: LABELS[action] });
      button.dataset.action = action;
      button.setAttribute("aria-label", LABELS[action] + " comment by " + (comment.author || "an erased author"));
      button.addEventListener("click", () => act(li, action));
      actions.append(button);
    }
    actions.append(lockButton(li, comment.uri));
    li.append(actions);
    if (window.parleyDesk) window.parleyDesk.controls(li, comment, status);
    return li;
  }

  // Bulk: the same action on every ticked comment, one request each.
  async function bulk(action) {
    const picked = [...document.querySelectorAll("#comments > li")].filter((li) => li.querySelector(".pick").checked);
    if (!picked.length) return say("Tick the comments to " + LABELS[action].toLowerCase() + " first.");
    for (const li of picked) await act(li, action, true);
    say(comments(picked.length) + " " + DONE[action] + ".");
  }

  // j / k move between comments; a approves and s marks spam the one in focus.
  function keys(event) {
    if (event.target.matches("input, textarea") || event.ctrlKey || event.metaKey || event.altKey) return;
    const rows = [...document.querySelectorAll("#comments > li")];
    const current = rows.find((li) => li.contains(document.activeElement));
    const at = rows.indexOf(current);
    if (event.key === "j" || event.key === "k") {
      const next = rows[event.key === "j" ? at + 1 : Math.max(at - 1, 0)];
      if (next) next.focus();
    } else if ((event.key === "a" || event.key === "s") && current) {
      const action = event.key === "a" ? "approve" : "spam";
      if (ACTIONS[state.status].includes(action)) act(current, action);
    } else {
      return;
    }
    event.preventDefault();
  }

  async function act(li, action, quiet) {
    fail("");
    const rowFocused = document.activeElement === li;
    const inRow = li.contains(document.activeElement);
    const buttons = li.querySelectorAll("button");
    buttons.forEach((b) => { b.disabled = true; });
    try {
      await call("POST", "comments/" + encodeURIComponent(li.dataset.id) + "/" + action,
        { site: state.site, uri: li.dataset.uri });
    } catch (error) {
      buttons.forEach((b) => { b.disabled = false; });
      fail(error.message);
      return;
    }
    // Keep keyboard users in place: focus moves to the next comment itself, never to one of
    // its buttons, so a second Enter cannot approve (publish) a comment nobody has read yet.
    const next = li.nextElementSibling || li.previousElementSibling;
    li.remove();
    counts();
    if (!quiet) say("Comment " + DONE[action] + ".");
    if (next) {
      if (rowFocused || inRow) next.focus();
    } else {
      $("empty").hidden = false;
      $("queue-title").focus();
    }
  }

  // The tabs show how many comments each queue holds ("Pending (3)").
  async function counts() {
    try {
      const data = await call("GET", "counts?" + new URLSearchParams({ site: state.site }));
      for (const tab of document.querySelectorAll("#tabs [data-status]")) {
        const n = data.counts[tab.dataset.status];
        tab.textContent = TITLES[tab.dataset.status] + " (" + (n >= 1000 ? "1000+" : n) + ")";
      }
    } catch (error) {
      fail(error.message);
    }
  }

  async function show(status, focusTitle) {
    state.status = status;
    state.next = null;
    state.search = null;
    for (const tab of document.querySelectorAll("#tabs [data-status]")) {
      tab.setAttribute("aria-pressed", String(tab.dataset.status === status));
    }
    $("queue-title").textContent = TITLES[status] + " comments";
    $("comments").replaceChildren();
    counts();
    await load();
    if (focusTitle) $("queue-title").focus();
  }

  async function load() {
    fail("");
    const params = new URLSearchParams({ site: state.site, status: state.status });
    if (state.next) params.set("after", state.next);
    let data;
    try {
      // A search is a POST: the words and the address stay out of access logs.
      data = state.search
        ? await call("POST", "search", { ...state.search, site: state.site, after: state.next, limit: 20 })
        : await call("GET", "comments?" + params);
    } catch (error) {
      fail(error.message);
      return;
    }
    for (const comment of data.comments) $("comments").append(item(comment));
    state.next = data.next;
    $("more").hidden = !data.next;
    $("empty").hidden = $("comments").children.length > 0;
    const n = $("comments").children.length;
    if (state.search) {
      // A request reads at most 100 candidates: a page may come back short with more to read.
      const rest = data.next ? "; Load more for the rest." : ".";
      say(n ? comments(n) + " found" + rest : data.next ? "None found yet; Load more searches further." : "No comment matches.");
    } else {
      say(n ? comments(n, state.status) + " shown." : "No " + state.status + " comments.");
    }
  }

  // POST /api/v1/admin/search (docs/moderation.md, "Search"): the results replace the queue.
  async function search(event) {
    event.preventDefault();
    fail("");
    const query = {};
    for (const name of ["text", "author", "email", "uri"]) {
      const value = $("search-" + name).value.trim();
      if (value) query[name] = value;
    }
    if (!Object.keys(query).length) return fail("Fill in a field to search for.");
    state.search = query;
    state.next = null;
    for (const tab of document.querySelectorAll("#tabs [data-status]")) tab.setAttribute("aria-pressed", "false");
    $("queue-title").textContent = "Search results";
    $("comments").replaceChildren();
    await load();
    $("queue-title").focus();
  }

  async function lock(event) {
    event.preventDefault();
    fail("");
    const locked = event.submitter ? event.submitter.value === "true" : true;
    const uri = $("lock-uri").value.trim();
    try {
      const data = await call("POST", "threads/lock", { site: state.site, uri, locked });
      say("Thread " + data.thread.uri + (data.thread.locked ? " is locked." : " is open."));
    } catch (error) {
      fail(error.message);
    }
  }

  // POST /api/v1/admin/threads/announce: the worker pulls the post's replies (docs/inbound.md).
  async function announce(event) {
    event.preventDefault();
    fail("");
    const bound = event.submitter ? event.submitter.value === "true" : true;
    const uri = $("announce-uri").value.trim();
    const url = $("announce-url").value.trim();
    try {
      const d = await call("POST", "threads/announce", { site: state.site, uri, url, bound });
      const network = d.network === "bluesky" ? "Bluesky" : "Mastodon";
      say("Thread " + d.uri + (d.bound ? " is bound to its " + network + " post." : " is no longer bound to its " + network + " post."));
    } catch (error) {
      fail(error.message);
    }
  }

  function start() {
    if (window.parleyDesk) window.parleyDesk.init({ call, state, say, fail, el, more: load });
    $("login").addEventListener("submit", (event) => {
      event.preventDefault();
      fail("");
      signIn($("login-site").value.trim(), $("login-token").value.trim());
    });
    for (const tab of document.querySelectorAll("#tabs [data-status]")) {
      tab.addEventListener("click", () => show(tab.dataset.status, false));
    }
    $("refresh").addEventListener("click", () => show(state.status, false));
    $("logout").addEventListener("click", () => signOut("Signed out."));
    $("more").addEventListener("click", load);
    $("lock").addEventListener("submit", lock);
    $("search").addEventListener("submit", search);
    $("search-clear").addEventListener("click", () => {
      $("search").reset();
      show(state.status, false);
    });
    $("announce").addEventListener("submit", announce);
    $("bulk-approve").addEventListener("click", () => bulk("approve"));
    $("bulk-spam").addEventListener("click", () => bulk("spam"));
    document.addEventListener("keydown", keys);
    let saved = null;
    try { saved = JSON.parse(sessionStorage.getItem(KEY) || "null"); } catch (_) { saved = null; }
    // `parley serve --demo` prints /admin#site=demo&token=...: sign in from the fragment (never
    // sent to a server), then drop it from the address bar and the history.
    const given = new URLSearchParams(location.hash.slice(1));
    state.reply = given.get("reply");
    if (given.get("site")) $("login-site").value = given.get("site");
    if (state.reply) history.replaceState(null, "", location.pathname + location.search);
    if (given.get("site") && given.get("token")) {
      saved = { site: given.get("site"), token: given.get("token") };
      history.replaceState(null, "", location.pathname + location.search);
    }
    if (saved && saved.site && saved.token && (!given.get("site") || given.get("site") === saved.site)) {
      signIn(saved.site, saved.token);
    } else {
      $("login-site").focus();
    }
  }

  start();
})();
