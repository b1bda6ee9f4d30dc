// The console: one person's view of the demo workspace, kept live by long-polling
// /api/seen, and the Greenhouse panel. Every interaction is a POST to the demo server,
// which signs the Slack payload and sends it to the bot; nothing is decided here.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const params = new URLSearchParams(location.search);
  // ?wait=seconds caps each long poll (the browser tests use it to hold a page's view still).
  const WAIT = params.get("wait") ? `&wait=${encodeURIComponent(params.get("wait"))}` : "";
  const HINTS = ["/greenhouse job ENG-2041", "/greenhouse close 4021", "/greenhouse reject", "/greenhouse pending",
    "/greenhouse whoami", "/greenhouse help"];

  const EYE = '<svg class="eye" viewBox="0 0 20 20" aria-hidden="true"><path fill="currentColor" d="M10 4C5.5 4 2.1 7 1 10c1.1 3 4.5 6 9 6s7.9-3 9-6c-1.1-3-4.5-6-9-6zm0 10a4 4 0 110-8 4 4 0 010 8zm0-6a2 2 0 100 4 2 2 0 000-4z"/></svg>';
  const st = {
    dir: { people: [], users: {}, channels: {} },
    me: null,
    conv: params.get("channel") || null,
    thread: null,        // ts of the open thread
    version: "",
    seen: null,
    selections: {},      // `${messageKey}|${block}|${action}` -> value chosen (kept across redraws)
    inputs: {},          // `${viewId}|${block}|${action}` -> typed text in a modal
    errors: {},          // viewId -> {block_id: message} from response_action: errors
    viewShown: null,     // id+hash of the modal on screen
    lastRead: {},        // `${me}|${conv}` -> newest ts seen
    poll: null,
  };

  // --- talking to the demo server -------------------------------------------------------

  async function post(path, body) {
    const r = await fetch(path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    const data = await r.json().catch(() => ({}));
    if (!r.ok || data.error) toast(data.error || `The request failed (${r.status}).`);
    return data;
  }

  function toast(text) {
    const t = $("toast");
    t.textContent = text;
    t.hidden = false;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(() => { t.hidden = true; }, 4000);
  }

  async function pollLoop() {
    const me = st.me;
    const controller = new AbortController();
    st.poll = controller;
    while (st.me === me && !controller.signal.aborted) {
      try {
        const r = await fetch(`/api/seen?user=${encodeURIComponent(me)}&v=${encodeURIComponent(st.version)}${WAIT}`,
          { signal: controller.signal });
        const data = await r.json();
        if (st.me !== me) return;
        if (data.version !== st.version || !st.seen) {
          st.version = data.version;
          st.seen = data;
          render();
        }
      } catch (e) {
        if (controller.signal.aborted) return;
        await new Promise((res) => setTimeout(res, 800));
      }
    }
  }

  function become(userId) {
    if (st.poll) st.poll.abort();
    st.me = userId;
    st.version = "";
    st.seen = null;
    st.thread = null;
    st.viewShown = null;
    $("overlay-root").innerHTML = "";
    const url = new URL(location.href);
    url.searchParams.set("as", userId);
    history.replaceState(null, "", url);
    const p = st.dir.people.find((x) => x.id === userId);
    $("who-role").textContent = p ? `${p.title} · ${p.role} in the demo` : "";
    pollLoop();
  }

  // --- rendering ----------------------------------------------------------------------------

  const userName = (id) => (st.dir.users[id] || {}).name || id;
  const convById = (id) => (st.seen ? st.seen.conversations.find((c) => c.id === id) : null);
  // Private channels get a padlock (drawn in CSS, see .private), public ones a #.
  const convLabel = (c) => (c.is_im || c.is_private ? c.name : `#${c.name}`);

  function render() {
    const seen = st.seen;
    if (!seen) return;
    if (!st.conv || !convById(st.conv)) st.conv = seen.conversations[0].id;
    renderSidebar();
    renderConversation();
    renderThread();
    renderModal();
    renderGreenhouse(seen.greenhouse);
  }

  function newest(conv) {
    return conv.messages.reduce((m, x) => (x.ts > m ? x.ts : m), "");
  }

  function renderSidebar() {
    const chans = $("channels"), dms = $("dms");
    chans.innerHTML = "";
    dms.innerHTML = "";
    for (const c of st.seen.conversations) {
      const li = document.createElement("li");
      const b = document.createElement("button");
      b.type = "button";
      b.className = "conv" + (c.id === st.conv ? " active" : "") + (c.is_private && !c.is_im ? " private" : "");
      b.dataset.conv = c.id;
      b.textContent = convLabel(c);
      const unread = c.id !== st.conv && newest(c) > (st.lastRead[`${st.me}|${c.id}`] || "");
      if (unread) {
        b.classList.add("unread");
        const dot = document.createElement("span");
        dot.className = "unread-dot";
        dot.setAttribute("aria-label", "unread");
        b.appendChild(dot);
      }
      b.onclick = () => { st.conv = c.id; st.thread = null; render(); $("compose-text").focus(); };
      li.appendChild(b);
      (c.is_im ? dms : chans).appendChild(li);
    }
  }

  function messageContext(conv, m) {
    const source = m.ephemeral ? { ephemeral: m.id } : { message: m.ts };
    const key = m.ephemeral ? m.id : m.ts;
    return {
      dir: st.dir,
      selected: (k) => st.selections[`${key}|${k}`],
      select: (k, v) => { st.selections[`${key}|${k}`] = v; },
      onAction: (action) => post("/api/action", {
        user: st.me, channel: conv.id, source, action, state: selectState(key, m.blocks),
      }),
    };
  }

  // state.values for a block_actions payload: the selects of the message as the person left them.
  function selectState(key, blocks) {
    const values = {};
    for (const b of blocks || []) {
      const elems = b.type === "actions" ? b.elements || [] : b.accessory ? [b.accessory] : [];
      for (const e of elems) {
        if (e.type !== "static_select") continue;
        const v = st.selections[`${key}|${b.block_id}|${e.action_id}`] ?? (e.initial_option && e.initial_option.value);
        const opt = (e.options || (e.option_groups || []).flatMap((g) => g.options)).find((o) => o.value === v);
        if (opt) (values[b.block_id] = values[b.block_id] || {})[e.action_id] = { type: "static_select", selected_option: { text: opt.text, value: opt.value } };
      }
    }
    return values;
  }

  function timeOf(ts) {
    const d = new Date(Number(ts) * 1000);
    return d.toLocaleTimeString([], { hour: "numeric", minute: "2-digit" });
  }

  function messageNode(conv, m, { inThread }) {
    const node = document.createElement("div");
    node.className = "msg" + (m.ephemeral ? " ephemeral" : "") + (m.deleted ? " deleted" : "");
    node.dataset.ts = m.ts;
    const author = m.ephemeral ? m.sender : m.user;
    const isBot = author === "UBOT";
    const avatar = document.createElement("div");
    avatar.className = "avatar" + (isBot ? " bot" : author === "USLACKBOT" ? " slackbot" : "");
    avatar.textContent = isBot ? "gh" : userName(author).split(" ").map((w) => w[0]).join("").slice(0, 2);
    const body = document.createElement("div");
    body.className = "msg-body";
    const meta = document.createElement("div");
    meta.className = "meta";
    const name = document.createElement("span");
    name.className = "author";
    name.textContent = isBot ? "greenhouse" : userName(author);
    meta.appendChild(name);
    if (isBot) meta.insertAdjacentHTML("beforeend", '<span class="app-badge">APP</span>');
    meta.insertAdjacentHTML("beforeend", `<span class="time">${Mrkdwn.escapeHtml(timeOf(m.ts))}</span>`);
    if (m.edited) meta.insertAdjacentHTML("beforeend", '<span class="edited">(edited)</span>');
    body.appendChild(meta);
    if (m.blocks && m.blocks.length) {
      body.appendChild(Blocks.render(m.blocks, messageContext(conv, m)));
    } else {
      const text = document.createElement("div");
      text.className = "bk-text";
      text.innerHTML = Mrkdwn.render(m.text, st.dir);
      body.appendChild(text);
    }
    if (m.ephemeral) {
      const foot = document.createElement("div");
      foot.className = "only-you";
      foot.innerHTML = EYE + " Only visible to you ";
      const dismiss = document.createElement("button");
      dismiss.type = "button";
      dismiss.className = "link";
      dismiss.textContent = "Dismiss message";
      dismiss.onclick = () => post("/api/dismiss", { user: st.me, id: m.id });
      foot.appendChild(dismiss);
      body.appendChild(foot);
    }
    if (!inThread && !m.ephemeral) {
      const replies = conv.messages.filter((x) => x.thread_ts === m.ts && x.ts !== m.ts && !x.ephemeral);
      if (replies.length) {
        const link = document.createElement("button");
        link.type = "button";
        link.className = "replies";
        link.textContent = `${replies.length} ${replies.length === 1 ? "reply" : "replies"}`;
        link.onclick = () => { st.thread = m.ts; render(); };
        body.appendChild(link);
      }
    }
    node.append(avatar, body);
    return node;
  }

  function isTopLevel(m) {
    return !m.thread_ts || m.thread_ts === m.ts;
  }

  function renderList(container, conv, items, opts) {
    const nearBottom = container.scrollHeight - container.scrollTop - container.clientHeight < 80;
    const keepTop = container.scrollTop;
    container.innerHTML = "";
    if (!items.length) {
      const empty = document.createElement("div");
      empty.className = "empty";
      empty.textContent = opts.empty || "";
      container.appendChild(empty);
    }
    for (const m of items) container.appendChild(messageNode(conv, m, opts));
    container.scrollTop = nearBottom || opts.jump ? container.scrollHeight : keepTop;
  }

  function renderConversation() {
    const conv = convById(st.conv);
    const jump = renderConversation.last !== `${st.me}|${conv.id}`;
    renderConversation.last = `${st.me}|${conv.id}`;
    $("conv-title").textContent = convLabel(conv);
    $("conv-title").classList.toggle("private", conv.is_private && !conv.is_im);
    $("conv-sub").textContent = conv.is_im ? "App · direct messages with the bot"
      : conv.is_private ? "Private channel: recruiters, coordinators and admins" : "Everyone in the workspace";
    $("compose-text").placeholder = conv.is_im ? "Message greenhouse" : `Message ${convLabel(conv)} — try /greenhouse help`;
    const items = conv.messages.filter(isTopLevel);
    renderList($("messages"), conv, items, { inThread: false, jump, empty: conv.is_im
      ? "Notices from the bot arrive here." : "No messages yet. Type /greenhouse help below." });
    st.lastRead[`${st.me}|${conv.id}`] = newest(conv);
  }

  function renderThread() {
    const conv = convById(st.conv);
    const parent = st.thread && conv.messages.find((m) => m.ts === st.thread);
    $("thread").hidden = !parent;
    $("app").classList.toggle("with-thread", !!parent);
    if (!parent) return;
    $("thread-sub").textContent = convLabel(conv);
    $("thread-sub").classList.toggle("private", conv.is_private && !conv.is_im);
    const items = [parent, ...conv.messages.filter((m) => m.thread_ts === parent.ts && m.ts !== parent.ts)];
    renderList($("thread-messages"), conv, items, { inThread: true });
  }

  // --- modals ---------------------------------------------------------------------------------

  function renderModal() {
    const view = st.seen.view;
    const shown = view ? `${view.id}:${view.hash}:${JSON.stringify(st.errors[view.id] || {})}` : null;
    if (shown === st.viewShown) return;  // keep what the person is typing
    st.viewShown = shown;
    document.querySelectorAll(".modal-backdrop").forEach((n) => n.remove());
    if (!view) return;
    const back = document.createElement("div");
    back.className = "modal-backdrop";
    const box = document.createElement("div");
    box.className = "modal";
    box.setAttribute("role", "dialog");
    box.setAttribute("aria-label", view.title ? view.title.text : "Dialog");
    const head = document.createElement("header");
    head.innerHTML = `<span class="modal-app">gh</span><span class="modal-title">${Mrkdwn.plain(view.title)}</span>`;
    const x = document.createElement("button");
    x.type = "button";
    x.className = "modal-x";
    x.setAttribute("aria-label", "Close");
    x.textContent = "×";
    head.appendChild(x);
    const ctx = {
      dir: st.dir,
      selected: (k) => st.inputs[`${view.id}|${k}`],
      select: (k, v) => { st.inputs[`${view.id}|${k}`] = v; },
      inputValue: (k) => st.inputs[`${view.id}|${k}`],
      setInput: (k, v) => { st.inputs[`${view.id}|${k}`] = v; },
      errorFor: (blockId) => (st.errors[view.id] || {})[blockId],
      onAction: () => {},  // inputs in a modal are sent with the submission
    };
    const body = document.createElement("div");
    body.className = "modal-body";
    body.appendChild(Blocks.render(view.blocks, ctx));
    const foot = document.createElement("footer");
    const close = document.createElement("button");
    close.type = "button";
    close.className = "bk-button";
    close.innerHTML = Mrkdwn.plain(view.close || { text: "Cancel" });
    foot.appendChild(close);
    const doClose = () => post("/api/view/close", { user: st.me, view_id: view.id });
    close.onclick = x.onclick = doClose;
    if (view.submit) {
      const submit = document.createElement("button");
      submit.type = "button";
      submit.className = "bk-button primary";
      submit.innerHTML = Mrkdwn.plain(view.submit);
      submit.onclick = async () => {
        const res = await post("/api/view/submit", { user: st.me, view_id: view.id, values: viewValues(view) });
        if (res.ack && res.ack.response_action === "errors") {
          st.errors[view.id] = res.ack.errors || {};
          st.viewShown = null;
          renderModal();
        }
      };
      foot.appendChild(submit);
    }
    box.append(head, body, foot);
    back.appendChild(box);
    $("overlay-root").appendChild(back);
    const first = box.querySelector("textarea, input, select");
    if (first) first.focus();
  }

  // view.state.values as Slack builds it from the modal's inputs.
  function viewValues(view) {
    const values = {};
    for (const b of view.blocks || []) {
      if (b.type !== "input" || !b.element) continue;
      const e = b.element, k = `${view.id}|${b.block_id}|${e.action_id}`;
      let v;
      if (e.type === "plain_text_input") v = { type: "plain_text_input", value: st.inputs[k] ?? e.initial_value ?? null };
      else if (e.type === "static_select") {
        const chosen = st.inputs[k] ?? (e.initial_option && e.initial_option.value);
        const opt = (e.options || []).find((o) => o.value === chosen);
        v = { type: "static_select", selected_option: opt ? { text: opt.text, value: opt.value } : null };
      } else continue;
      (values[b.block_id] = values[b.block_id] || {})[e.action_id] = v;
    }
    return values;
  }

  // --- the Greenhouse panel ----------------------------------------------------------------

  function renderGreenhouse(gh) {
    const jobs = $("gh-jobs");
    jobs.innerHTML = "";
    for (const j of gh.jobs) {
      const card = document.createElement("div");
      card.className = "gh-job";
      card.dataset.job = j.id;
      const status = j.status === "open" ? "open" : "closed";
      card.innerHTML = `<div class="gh-job-head"><span class="gh-job-name">${Mrkdwn.escapeHtml(j.name)}</span>
        <span class="gh-id">${j.id}</span>${j.confidential ? '<span class="gh-tag">confidential</span>' : ""}
        <span class="gh-status ${status}">${Mrkdwn.escapeHtml(j.status)}</span></div>
        <div class="gh-job-facts">${j.open_openings} of ${j.openings} openings open · ${j.active_candidates} active candidates</div>`;
      const hire = document.createElement("button");
      hire.type = "button";
      hire.className = "gh-hire";
      hire.textContent = "Hire the last candidate";
      hire.disabled = !j.open_openings || !j.active_candidates;
      hire.title = "Hire a candidate into this job's last open opening, as a recruiter would in Greenhouse";
      hire.onclick = async () => {
        hire.disabled = true;
        const r = await post("/api/greenhouse/hire", { job_id: j.id });
        if (r.ok) toast(`Hired application ${r.hired.application_id} into opening ${r.hired.opening_id}: job ${r.hired.job_status}.`);
      };
      card.appendChild(hire);
      jobs.appendChild(card);
    }
    const list = $("gh-writes");
    list.innerHTML = "";
    $("gh-count").textContent = gh.writes.length ? `(${gh.writes.length})` : "";
    if (!gh.writes.length) {
      list.innerHTML = '<li class="gh-empty">None yet. Nothing reaches Greenhouse until an approver confirms.</li>';
    }
    for (const w of [...gh.writes].reverse()) {
      const li = document.createElement("li");
      li.className = "gh-write";
      const ok = w.status && w.status < 300;
      li.innerHTML = `<div><span class="gh-method">${Mrkdwn.escapeHtml(w.method)}</span>
        <code class="gh-path">${Mrkdwn.escapeHtml(w.path)}</code>
        <span class="gh-code ${ok ? "ok" : "bad"}">${Mrkdwn.escapeHtml(w.status ?? "")}</span></div>
        <div class="gh-acting">On-Behalf-Of: ${Mrkdwn.escapeHtml(w.acting_user_name || "?")} (${Mrkdwn.escapeHtml(w.acting_user_id ?? "none")})</div>
        <pre class="gh-body">${Mrkdwn.escapeHtml(JSON.stringify(w.body, null, 1))}</pre>`;
      list.appendChild(li);
    }
  }

  // --- the message box ---------------------------------------------------------------------------

  async function send(text) {
    if (!text.trim()) return;
    $("compose-text").value = "";
    await post("/api/compose", { user: st.me, channel: st.conv, text });
  }

  function setup() {
    const who = $("who");
    for (const p of st.dir.people) {
      const o = document.createElement("option");
      o.value = p.id;
      o.textContent = `${p.name} — ${p.role}`;
      who.appendChild(o);
    }
    const wanted = params.get("as");
    who.value = st.dir.people.some((p) => p.id === wanted) ? wanted : st.dir.people[0].id;
    who.onchange = () => become(who.value);
    $("composer").onsubmit = (e) => { e.preventDefault(); send($("compose-text").value); };
    $("compose-text").addEventListener("keydown", (e) => {
      if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); send($("compose-text").value); }
    });
    $("thread-close").onclick = () => { st.thread = null; render(); };
    for (const h of HINTS) {
      const chip = document.createElement("button");
      chip.type = "button";
      chip.className = "hint";
      chip.textContent = h;
      chip.onclick = () => { $("compose-text").value = h + " "; $("compose-text").focus(); };
      $("hints").appendChild(chip);
    }
    become(who.value);
  }

  fetch("/api/directory").then((r) => r.json()).then((dir) => { st.dir = dir; setup(); });
})();
