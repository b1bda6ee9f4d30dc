// Block Kit to DOM, close enough to Slack's look to judge the bot's messages.
// Blocks: header, section (text, fields, accessory), context, actions, divider, image,
// input (modals), rich_text (as plain text). Elements: button (primary/danger, confirm),
// static_select (options and option groups, initial_option, confirm), overflow,
// plain_text_input, image. Anything else shows Slack's own "can't be displayed" line.
// `ctx.onAction(element, blockId, payloadAction)` is called for each interaction, after
// the element's confirm dialog (if any) was accepted. Only text through Mrkdwn reaches innerHTML.
"use strict";

const Blocks = (() => {
  function el(tag, cls, html) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (html !== undefined) node.innerHTML = html;
    return node;
  }

  function textObj(obj, ctx) {
    return Mrkdwn.textObject(obj, ctx.dir);
  }

  function optionValue(opt) {
    return { text: opt.text, value: opt.value };
  }

  function allOptions(element) {
    if (element.options) return element.options;
    return (element.option_groups || []).flatMap((g) => g.options || []);
  }

  // Slack's confirm dialog: title, mrkdwn text, confirm (primary or danger) and deny.
  function confirmThen(confirm, ctx, go) {
    if (!confirm) return go();
    const root = document.getElementById("overlay-root");
    const back = el("div", "confirm-backdrop");
    const box = el("div", "confirm");
    box.setAttribute("role", "alertdialog");
    box.setAttribute("aria-label", confirm.title ? confirm.title.text : "Are you sure?");
    box.appendChild(el("h2", "confirm-title", Mrkdwn.plain(confirm.title || { text: "Are you sure?" })));
    box.appendChild(el("div", "confirm-text", textObj(confirm.text, ctx)));
    const row = el("div", "confirm-buttons");
    const deny = el("button", "bk-button", Mrkdwn.plain(confirm.deny || { text: "Cancel" }));
    const ok = el("button", `bk-button ${confirm.style === "danger" ? "danger" : "primary"}`,
      Mrkdwn.plain(confirm.confirm || { text: "Yes" }));
    deny.type = ok.type = "button";
    const close = () => back.remove();
    deny.onclick = close;
    ok.onclick = () => { close(); go(); };
    back.onclick = (e) => { if (e.target === back) close(); };
    row.append(deny, ok);
    box.appendChild(row);
    back.appendChild(box);
    root.appendChild(back);
    ok.focus();
  }

  function button(element, blockId, ctx) {
    const b = el("button", "bk-button" + (element.style ? " " + element.style : ""), Mrkdwn.plain(element.text));
    b.type = "button";
    b.onclick = () => {
      if (element.url && /^https?:\/\//i.test(element.url)) window.open(element.url, "_blank", "noopener");
      confirmThen(element.confirm, ctx, () => ctx.onAction({
        type: "button", action_id: element.action_id, block_id: blockId, text: element.text,
        ...(element.value !== undefined ? { value: element.value } : {}),
        ...(element.style ? { style: element.style } : {}),
      }));
    };
    return b;
  }

  function staticSelect(element, blockId, ctx) {
    const sel = el("select", "bk-select");
    sel.setAttribute("aria-label", element.placeholder ? element.placeholder.text : element.action_id);
    const key = `${blockId}|${element.action_id}`;
    const chosen = ctx.selected(key) ?? (element.initial_option ? element.initial_option.value : null);
    const ph = el("option", "", Mrkdwn.plain(element.placeholder || { text: "Select an item" }));
    ph.value = "";
    ph.disabled = true;
    sel.appendChild(ph);
    const addOption = (parent, opt) => {
      const o = el("option", "", Mrkdwn.plain(opt.text));
      o.value = opt.value;
      parent.appendChild(o);
    };
    if (element.option_groups) {
      for (const g of element.option_groups) {
        const group = el("optgroup");
        group.label = g.label ? g.label.text : "";
        (g.options || []).forEach((opt) => addOption(group, opt));
        sel.appendChild(group);
      }
    } else {
      (element.options || []).forEach((opt) => addOption(sel, opt));
    }
    sel.value = chosen ?? "";
    if (sel.value !== (chosen ?? "")) sel.value = "";
    let previous = sel.value;
    sel.onchange = () => {
      const opt = allOptions(element).find((o) => o.value === sel.value);
      if (!opt) return;
      const send = () => {
        previous = sel.value;
        ctx.select(key, opt.value, element);
        ctx.onAction({
          type: "static_select", action_id: element.action_id, block_id: blockId,
          selected_option: optionValue(opt),
          ...(element.placeholder ? { placeholder: element.placeholder } : {}),
        });
      };
      if (element.confirm) {
        sel.value = previous;  // until the person confirms
        confirmThen(element.confirm, ctx, () => { sel.value = opt.value; send(); });
      } else {
        send();
      }
    };
    return sel;
  }

  function overflow(element, blockId, ctx) {
    const wrap = el("span", "bk-overflow");
    const b = el("button", "bk-overflow-button", "⋯");
    b.type = "button";
    b.setAttribute("aria-label", "More actions");
    const menu = el("div", "bk-overflow-menu");
    menu.hidden = true;
    for (const opt of element.options || []) {
      const item = el("button", "bk-overflow-item", Mrkdwn.plain(opt.text));
      item.type = "button";
      item.onclick = () => {
        menu.hidden = true;
        confirmThen(element.confirm, ctx, () => ctx.onAction({
          type: "overflow", action_id: element.action_id, block_id: blockId, selected_option: optionValue(opt),
        }));
      };
      menu.appendChild(item);
    }
    b.onclick = () => { menu.hidden = !menu.hidden; };
    wrap.append(b, menu);
    return wrap;
  }

  function image(element) {
    // No network: the console draws the alt text where Slack would load the picture.
    const box = el("span", "bk-image");
    box.textContent = "🖼 " + (element.alt_text || "image");
    return box;
  }

  function textInput(element, blockId, ctx) {
    const input = element.multiline ? el("textarea", "bk-input") : el("input", "bk-input");
    if (!element.multiline) input.type = "text";
    if (element.placeholder) input.placeholder = element.placeholder.text;
    if (element.max_length) input.maxLength = element.max_length;
    input.value = ctx.inputValue(`${blockId}|${element.action_id}`) ?? element.initial_value ?? "";
    input.oninput = () => ctx.setInput(`${blockId}|${element.action_id}`, input.value, element);
    input.dataset.actionId = element.action_id;
    return input;
  }

  function element(elem, blockId, ctx) {
    switch (elem.type) {
      case "button": return button(elem, blockId, ctx);
      case "static_select": return staticSelect(elem, blockId, ctx);
      case "overflow": return overflow(elem, blockId, ctx);
      case "image": return image(elem);
      case "plain_text_input": return textInput(elem, blockId, ctx);
      default: return el("span", "bk-unsupported", "This element can't be displayed.");
    }
  }

  function block(b, ctx) {
    const id = b.block_id || "";
    switch (b.type) {
      case "header": return el("div", "bk-header", Mrkdwn.plain(b.text));
      case "divider": return el("hr", "bk-divider");
      case "section": {
        const node = el("div", "bk-section");
        const main = el("div", "bk-section-main");
        if (b.text) main.appendChild(el("div", "bk-text", textObj(b.text, ctx)));
        if (b.fields && b.fields.length) {
          const grid = el("div", "bk-fields");
          b.fields.forEach((f) => grid.appendChild(el("div", "bk-field", textObj(f, ctx))));
          main.appendChild(grid);
        }
        node.appendChild(main);
        if (b.accessory) {
          const acc = el("div", "bk-accessory");
          acc.appendChild(element(b.accessory, id, ctx));
          node.appendChild(acc);
        }
        return node;
      }
      case "context": {
        const node = el("div", "bk-context");
        for (const e of b.elements || []) {
          node.appendChild(e.type === "image" ? image(e) : el("span", "bk-context-item", textObj(e, ctx)));
        }
        return node;
      }
      case "actions": {
        const node = el("div", "bk-actions");
        for (const e of b.elements || []) node.appendChild(element(e, id, ctx));
        return node;
      }
      case "image": {
        const node = el("div", "bk-image-block");
        if (b.title) node.appendChild(el("div", "bk-text", Mrkdwn.plain(b.title)));
        node.appendChild(image(b));
        return node;
      }
      case "input": {
        const node = el("div", "bk-input-block");
        const label = el("label", "bk-label", Mrkdwn.plain(b.label));
        if (b.optional) label.appendChild(el("span", "bk-optional", " (optional)"));
        node.appendChild(label);
        const input = element(b.element || {}, id, ctx);
        label.htmlFor = input.id = `in-${id}-${(b.element || {}).action_id}`;
        node.appendChild(input);
        if (b.hint) node.appendChild(el("div", "bk-hint", Mrkdwn.plain(b.hint)));
        const error = ctx.errorFor && ctx.errorFor(id);
        if (error) node.appendChild(el("div", "bk-error", Mrkdwn.escapeHtml(error)));
        return node;
      }
      case "rich_text": {
        const flat = [];
        const walk = (x) => { if (x && x.text) flat.push(x.text); (x && x.elements || []).forEach(walk); };
        walk(b);
        return el("div", "bk-text", Mrkdwn.escapeHtml(flat.join("")));
      }
      default:
        return el("div", "bk-unsupported", "This content can't be displayed.");
    }
  }

  function render(blocks, ctx) {
    const frag = el("div", "bk");
    for (const b of blocks || []) frag.appendChild(block(b, ctx));
    return frag;
  }

  return { render, confirmThen };
})();
