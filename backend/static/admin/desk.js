// The owner's desk on the moderation page: reply as the author, pin, block (and the list of
// blocks, each undoable). admin.js hands over its request helper and calls `controls` for each
// comment row. Text goes in with textContent only.
"use strict";
window.parleyDesk = (() => {
  let api = null;

  function button(text, label, onClick) {
    const b = api.el("button", { type: "button", textContent: text });
    b.setAttribute("aria-label", label);
    b.addEventListener("click", onClick);
    return b;
  }

  function replyForm(li, comment, who) {
    const id = "reply-" + comment.id;
    const form = api.el("form", { className: "reply", hidden: true });
    const label = api.el("label", { htmlFor: id, textContent: "Your reply to " + who + " (as the author)" });
    const text = api.el("textarea", { id, rows: 3, required: true });
    const send = api.el("button", { type: "submit", textContent: "Post reply" });
    form.append(label, text, api.el("p", {}, send));
    const key = () => "owner-" + comment.id + "-" + Date.now().toString(36);
    let draftKey = key();
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      api.fail("");
      send.disabled = true;
      try {
        await api.call("POST", "replies", { site: api.state.site, uri: comment.uri,
          parent: comment.id, text: text.value, key: draftKey });
        text.value = "";
        draftKey = key();
        form.hidden = true;
        api.say("Reply posted as the author.");
      } catch (error) {
        api.fail(error.message);
      } finally {
        send.disabled = false;
      }
    });
    return form;
  }

  function controls(li, comment, status) {
    const who = comment.author || "an erased author";
    const group = api.el("div", { className: "actions desk", role: "group" });
    group.setAttribute("aria-label", "Owner's tools for the comment by " + who);
    if (status === "approved") {
      const form = replyForm(li, comment, who);
      group.append(button("Reply", "Reply as the author to " + who, () => {
        form.hidden = !form.hidden;
        if (!form.hidden) form.querySelector("textarea").focus();
      }));
      group.append(button("Pin", "Pin the comment by " + who + " first in its thread", async () => {
        try {
          await api.call("POST", "threads/pin", { site: api.state.site, uri: comment.uri, comment_id: comment.id });
          api.say("Comment pinned first in " + comment.uri + ".");
        } catch (error) { api.fail(error.message); }
      }));
      li.append(group, form);
    } else {
      li.append(group);
    }
    for (const by of comment.author_role === "owner" ? [] : ["network", "email"]) {
      if (by === "email" && !comment.email) continue;
      group.append(button("Block " + by, "Block " + by + " of " + who, async () => {
        try {
          await api.call("POST", "blocks", { site: api.state.site, uri: comment.uri, comment_id: comment.id, by });
          api.say("The " + by + " of " + who + " is blocked: its posts go to spam.");
          blocks();
        } catch (error) { api.fail(error.message); }
      }));
    }
  }

  async function blocks() {
    const list = document.getElementById("blocks");
    let data;
    try {
      data = await api.call("GET", "blocks?" + new URLSearchParams({ site: api.state.site }));
    } catch (error) { api.fail(error.message); return; }
    list.replaceChildren();
    for (const block of data.blocks) {
      const li = api.el("li", {}, api.el("span", { textContent: block.kind + ": " + block.label }), " ");
      li.append(button("Unblock", "Unblock " + block.kind + " of " + block.label, async () => {
        try {
          await api.call("DELETE", "blocks?" + new URLSearchParams({ site: api.state.site, key: block.key }));
          api.say("Unblocked.");
          blocks();
        } catch (error) { api.fail(error.message); }
      }));
      list.append(li);
    }
    document.getElementById("no-blocks").hidden = data.blocks.length > 0;
  }

  // The comment a mail's "Reply" link names: among the approved ones (a few pages at most),
  // shown with its reply box open.
  async function open(id) {
    let row = document.getElementById("c-" + id);
    for (let pages = 0; !row && api.state.next && pages < 10; pages++) {
      await api.more();
      row = document.getElementById("c-" + id);
    }
    const box = row && row.querySelector("form.reply");
    if (!box) {
      api.say("That comment is not among the latest approved comments.");
      return;
    }
    box.hidden = false;
    row.scrollIntoView({ block: "center" });
    box.querySelector("textarea").focus();
  }

  return {
    init(given) { api = given; },
    open,
    controls,
    blocks,
  };
})();
