// Slack's mrkdwn to HTML. Everything that is not a Slack construct is escaped:
// the bot's messages carry names typed by strangers, so this must not be an XSS hole.
// Handled: *bold*, _italic_, ~strike~, `code`, ```pre```, <url|text> links (http, https,
// mailto only), <@U…> and <#C…> mentions, <!here>/<!channel>, <!date^…^{…}|fallback>,
// line breaks and a few emoji shortcodes. Left out: blockquotes, lists, user groups' names.
"use strict";

const Mrkdwn = (() => {
  const ESC = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
  const escapeHtml = (s) => String(s).replace(/[&<>"']/g, (c) => ESC[c]);
  // Slack escapes exactly these three in message text; undo them before escaping for HTML.
  const unslack = (s) => String(s).replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");

  // The emoji the bot uses are drawn as small badges from plain font glyphs, so they show
  // on machines without an emoji font too; other shortcodes use the Unicode emoji.
  const BADGES = {
    white_check_mark: ["em-check", "\u2714"], heavy_check_mark: ["em-tick", "\u2714"], x: ["em-x", "\u2716"],
    warning: ["em-warn", "\u26A0"], gear: ["em-gear", "\u2699"],
    hourglass_flowing_sand: ["em-wait", "\u25F7"], hourglass: ["em-wait", "\u25F7"],
  };
  const EMOJI = {
    lock: "🔒", bell: "🔔", tada: "🎉", wave: "👋", eyes: "👀", memo: "📝", no_entry: "⛔",
    information_source: "ℹ️", arrows_counterclockwise: "🔄", thumbsup: "👍", "+1": "👍", mag: "🔍",
    briefcase: "💼", calendar: "📅",
  };
  const emoji = (html) => html.replace(/:([a-z0-9_+-]+):/g, (m, name) => {
    if (BADGES[name]) return `<span class="emoji ${BADGES[name][0]}" role="img" aria-label="${name}" title="${m}">${BADGES[name][1]}</span>`;
    return EMOJI[name] ? `<span class="emoji" role="img" aria-label="${name}" title="${m}">${EMOJI[name]}</span>` : m;
  });

  const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
    "September", "October", "November", "December"];
  const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
  const ordinal = (n) => n + (n % 10 === 1 && n !== 11 ? "st" : n % 10 === 2 && n !== 12 ? "nd" : n % 10 === 3 && n !== 13 ? "rd" : "th");
  const pad = (n) => String(n).padStart(2, "0");

  function dayWord(d) {
    const start = (x) => new Date(x.getFullYear(), x.getMonth(), x.getDate()).getTime();
    const diff = Math.round((start(d) - start(new Date())) / 86400000);
    return diff === 0 ? "Today" : diff === -1 ? "Yesterday" : diff === 1 ? "Tomorrow" : null;
  }

  function formatDate(epoch, format) {
    const d = new Date(epoch * 1000);
    if (isNaN(d.getTime())) return null;
    const time = (secs) => {
      let h = d.getHours();
      const ampm = h < 12 ? "AM" : "PM";
      h = h % 12 || 12;
      return `${h}:${pad(d.getMinutes())}${secs ? ":" + pad(d.getSeconds()) : ""} ${ampm}`;
    };
    const date = `${MONTHS[d.getMonth()]} ${ordinal(d.getDate())}, ${d.getFullYear()}`;
    const short = `${MONTHS[d.getMonth()].slice(0, 3)} ${d.getDate()}, ${d.getFullYear()}`;
    const long = `${DAYS[d.getDay()]}, ${date}`;
    const ago = () => {
      const s = Math.round((Date.now() - d.getTime()) / 1000);
      const [n, unit] = Math.abs(s) < 60 ? [s, "second"] : Math.abs(s) < 3600 ? [Math.round(s / 60), "minute"]
        : Math.abs(s) < 86400 ? [Math.round(s / 3600), "hour"] : [Math.round(s / 86400), "day"];
      const a = Math.abs(n);
      return s >= 0 ? `${a} ${unit}${a === 1 ? "" : "s"} ago` : `in ${a} ${unit}${a === 1 ? "" : "s"}`;
    };
    const parts = {
      date_num: `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`,
      date, date_short: short, date_long: long,
      date_pretty: dayWord(d) || date, date_short_pretty: dayWord(d) || short, date_long_pretty: dayWord(d) || long,
      time: time(false), time_secs: time(true), ago: ago(),
    };
    return format.replace(/\{([a-z_]+)\}/g, (m, key) => (key in parts ? parts[key] : m));
  }

  function safeUrl(url) {
    return /^(https?:\/\/|mailto:)/i.test(url) ? url : null;
  }

  // One <…> construct, already known to contain no '<' or '>'.
  function token(inner, dir) {
    const bar = inner.indexOf("|");
    const head = bar >= 0 ? inner.slice(0, bar) : inner;
    const label = bar >= 0 ? unslack(inner.slice(bar + 1)) : null;
    if (head.startsWith("@")) {
      const id = head.slice(1);
      const user = (dir.users || {})[id];
      return `<span class="mention" data-user="${escapeHtml(id)}">@${escapeHtml(user ? user.name : label || id)}</span>`;
    }
    if (head.startsWith("#")) {
      const id = head.slice(1);
      const ch = (dir.channels || {})[id];
      return `<span class="mention channel">#${escapeHtml(ch ? ch.name : label || id)}</span>`;
    }
    if (head.startsWith("!date^")) {
      const [, epoch, format, link] = head.split("^");
      const text = formatDate(Number(epoch), unslack(format || "")) ?? (label || "");
      const url = link && safeUrl(unslack(link));
      const span = `<span class="date" title="${escapeHtml(label || "")}">${escapeHtml(text)}</span>`;
      return url ? `<a href="${escapeHtml(url)}" target="_blank" rel="noopener noreferrer">${span}</a>` : span;
    }
    if (head === "!here" || head === "!channel" || head === "!everyone") {
      return `<span class="mention">@${head.slice(1)}</span>`;
    }
    if (head.startsWith("!subteam^")) {
      return `<span class="mention">${escapeHtml(label || "@group")}</span>`;
    }
    if (head.startsWith("!")) return escapeHtml(label || "");
    const url = safeUrl(unslack(head));
    const text = escapeHtml(label ?? unslack(head));
    return url ? `<a href="${escapeHtml(url)}" target="_blank" rel="noopener noreferrer">${text}</a>` : text;
  }

  // Formatting marks must sit at word edges, as in Slack (so 2*3*4 stays as is).
  const EDGE_L = "(^|[\\s(\\[{\"'\\u2018\\u201c\\uE001\\uE003])";
  const EDGE_R = "(?=$|[\\s).,;:!?\\]}\"'\\u2019\\u201d\\uE000\\uE002])";
  const mark = (ch, tag) => new RegExp(`${EDGE_L}\\${ch}(?=\\S)([^\\${ch}\\n]*?[^\\s\\${ch}])\\${ch}${EDGE_R}`, "g");
  const BOLD = mark("*", "b"), ITALIC = mark("_", "i"), STRIKE = mark("~", "s");
  const SINGLE_BOLD = /(^|[\s(\uE001])\*(\S)\*(?=$|[\s).,;:!?\uE000])/g;

  function render(text, dir) {
    // Our placeholders are private-use characters: drop any that came with the text.
    let s = String(text ?? "").replace(/[\uE000-\uE003]/g, "");
    const tokens = [];
    s = s.replace(/<([^<>]*)>/g, (m, inner) => {
      tokens.push(token(inner, dir || {}));
      return `\uE000${tokens.length - 1}\uE001`;
    });
    s = escapeHtml(unslack(s));
    const codes = [];
    const keep = (html) => { codes.push(html); return `\uE002${codes.length - 1}\uE003`; };
    s = s.replace(/```\n?([\s\S]*?)```/g, (m, c) => keep(`<pre>${c}</pre>`));
    s = s.replace(/`([^`\n]+)`/g, (m, c) => keep(`<code>${c}</code>`));
    s = s.replace(BOLD, "$1<b>$2</b>").replace(SINGLE_BOLD, "$1<b>$2</b>");
    s = s.replace(ITALIC, "$1<i>$2</i>").replace(STRIKE, "$1<s>$2</s>");
    s = emoji(s).replace(/\n/g, "<br>");
    s = s.replace(/\uE002(\d+)\uE003/g, (m, i) => codes[Number(i)]);
    return s.replace(/\uE000(\d+)\uE001/g, (m, i) => tokens[Number(i)]);
  }

  // plain_text objects: escaped, with emoji shortcodes when `emoji` is not false.
  function plain(obj) {
    if (!obj) return "";
    const html = escapeHtml(obj.text ?? "");
    return obj.emoji === false ? html : emoji(html);
  }

  function textObject(obj, dir) {
    if (!obj) return "";
    return obj.type === "mrkdwn" ? render(obj.text, dir) : plain(obj);
  }

  return { render, plain, textObject, escapeHtml, formatDate };
})();

if (typeof module !== "undefined") module.exports = Mrkdwn;
