/*
 * Policy site: reader features that need JavaScript. Every page works without it.
 *
 * 1. Change navigation on version pages (and on a compare result): the
 *    "previous / next change" control (partials/policy-change-nav.html) and
 *    the keys n / j (next) and p / k (previous). Moving sets the URL hash to
 *    #change-N (so :target styles apply and the address can be shared), moves
 *    focus to the changed block and announces "change N of M".
 * 2. Compare any two versions on a history page: the two version pages
 *    (../versions/N/, same origin) are fetched, their clean text
 *    (<section id="clean">) parsed with DOMParser and diffed here with the
 *    semantics of the build-time diff (hooks/policykit/htmldiff.py, blocks.py):
 *    blocks are aligned first (headings, paragraphs, each li, each tr, whole
 *    pre; Myers diff on block identity keys), moved blocks detected, removed and
 *    added blocks paired by similarity, then paired blocks diffed word by word
 *    (Intl.Segmenter, language from <html lang>). The markup (ins/del with
 *    sr-only text, diff-changed/-added/-removed/-moved classes, span.diff-anchor
 *    #change-N) is the same as on the version pages.
 *
 * 3. Labels that follow the calendar (partials/policy-timed.html, the
 *    "upcoming" notices and the version banners): elements with
 *    data-policy-since / data-policy-until (ISO instants: an effective date at
 *    00:00 in the site's timezone) are shown only while the reader's clock is
 *    inside [since, until) (with data-policy-class, that class is toggled
 *    instead); data-policy-nojs elements (the static text, which states both
 *    dates) are hidden. Checked again at the next boundary while the page stays
 *    open, so the label changes on the effective day without a rebuild.
 *
 * Written for a strict Content-Security-Policy: no inline handlers, no eval,
 * no string-to-HTML parsing of page text into this document (nodes are built
 * with DOM APIs or cloned from the same-origin version pages), no request
 * leaves the site.
 */
(function () {
  "use strict";

  // ----------------------------------------------------------------------------------
  // Change navigation

  var NEXT_KEYS = { n: 1, j: 1 };
  var PREV_KEYS = { p: 1, k: 1 };

  function changeAnchors() {
    var all = document.querySelectorAll("span.diff-anchor[id^='change-']");
    var out = [];
    for (var i = 0; i < all.length; i++) {
      if (all[i].closest("[hidden]") === null) out.push(all[i]);
    }
    return out;
  }

  function headerOffset() {
    var header = document.querySelector(".md-header");
    return header ? header.getBoundingClientRect().bottom : 0;
  }

  /** Index of the change the reader is at: the hash if it names one, else the last one scrolled past. */
  function currentIndex(list) {
    var id = "";
    try {
      id = decodeURIComponent(location.hash.slice(1));
    } catch (e) {
      id = "";
    }
    for (var i = 0; i < list.length; i++) {
      if (list[i].id === id) return i;
    }
    var top = headerOffset() + 8;
    var idx = -1;
    for (var j = 0; j < list.length; j++) {
      if (list[j].getBoundingClientRect().top <= top) idx = j;
      else break;
    }
    return idx === -1 ? -1 : idx + 0.5; // between changes: "next" goes forward, "previous" to this one
  }

  function focusChange(anchor) {
    var block = anchor.parentElement;
    if (!block) return;
    if (!block.hasAttribute("tabindex")) block.setAttribute("tabindex", "-1");
    block.classList.add("policy-change-focus");
    try {
      block.focus({ preventScroll: true });
    } catch (e) {
      block.focus();
    }
  }

  function goTo(index) {
    var list = changeAnchors();
    if (!list.length) return;
    index = Math.max(0, Math.min(list.length - 1, index));
    var anchor = list[index];
    if (location.hash === "#" + anchor.id) {
      anchor.scrollIntoView({ block: "start" });
    } else {
      location.hash = anchor.id; // scrolls, and :target styles follow
    }
    focusChange(anchor);
    updateNavs(index, list);
  }

  function step(direction) {
    var list = changeAnchors();
    if (!list.length) return false;
    var cur = currentIndex(list);
    var target = direction > 0 ? Math.floor(cur) + 1 : Math.ceil(cur) - 1;
    if (target < 0 || target >= list.length) {
      updateNavs(Math.round(cur), list);
      return true;
    }
    goTo(target);
    return true;
  }

  function format(template, values) {
    return String(template || "").replace(/\{(\w+)\}/g, function (all, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : all;
    });
  }

  function setLink(link, anchor) {
    if (!link) return;
    if (anchor) {
      link.setAttribute("href", "#" + anchor.id);
      link.removeAttribute("aria-disabled");
    } else {
      link.removeAttribute("href");
      link.setAttribute("aria-disabled", "true");
    }
  }

  function updateNavs(index, list) {
    list = list || changeAnchors();
    var navs = document.querySelectorAll(".policy-change-nav");
    for (var i = 0; i < navs.length; i++) {
      var nav = navs[i];
      var scope = nav.parentElement;
      if (!list.length || (scope && scope.closest("[hidden]"))) continue;
      nav.hidden = false;
      var cur = typeof index === "number" ? index : currentIndex(list);
      var at = Math.round(cur);
      var prev = cur === -1 ? null : list[Math.ceil(cur) - 1] || null;
      var next = list[Math.floor(cur) + 1] || null;
      setLink(nav.querySelector(".policy-change-nav__prev"), prev);
      setLink(nav.querySelector(".policy-change-nav__next"), next);
      var status = nav.querySelector(".policy-change-nav__status");
      if (status && at >= 0 && at < list.length && cur === at) {
        status.textContent = format(nav.getAttribute("data-position"), { n: at + 1, total: list.length });
      }
    }
  }

  function isTyping(target) {
    if (!target || target.nodeType !== 1) return false;
    if (target.isContentEditable) return true;
    return target.closest("input, textarea, select, [contenteditable]:not([contenteditable='false'])") !== null;
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || event.isComposing) return;
    if (isTyping(event.target)) return;
    var key = event.key;
    var dir = NEXT_KEYS[key] ? 1 : PREV_KEYS[key] ? -1 : 0;
    if (!dir) return;
    if (!changeAnchors().length) {
      if (ownsChangeKeys()) swallow(event);
      return;
    }
    // Material binds n/p to "next/previous page" on window; on a page with changes ours win.
    swallow(event);
    step(dir);
  });

  /** A policy, version or history page: n/p/j/k mean "next/previous change" there, even with none to go to,
   *  so they never fall through to Material's "next/previous page" (its "," and "." keys still do that). */
  function ownsChangeKeys() {
    return document.querySelector(".policy-stamp__version, .policy-views, .policy-compare-result") !== null;
  }

  function swallow(event) {
    event.preventDefault();
    event.stopPropagation();
  }

  document.addEventListener("click", function (event) {
    var link = event.target && event.target.closest ? event.target.closest(".policy-change-nav a") : null;
    if (!link || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    if (!link.hasAttribute("href")) return;
    step(link.classList.contains("policy-change-nav__prev") ? -1 : 1);
  });

  window.addEventListener("hashchange", function () {
    updateNavs();
  });

  // ----------------------------------------------------------------------------------
  // Diff core: sequences, tokens, text (mirrors hooks/policykit/htmldiff.py)

  var EQ = 0;
  var DEL = -1;
  var INS = 1;
  var MAX_EDIT = 4000; // beyond this edit distance a region is treated as replaced wholesale

  /** Myers' O(ND) diff of two indexable sequences compared with ===; returns [[op, aStart, aEnd, bStart, bEnd]]. */
  function myers(a, b) {
    var n = a.length;
    var m = b.length;
    var pre = 0;
    while (pre < n && pre < m && a[pre] === b[pre]) pre++;
    var suf = 0;
    while (suf < n - pre && suf < m - pre && a[n - 1 - suf] === b[m - 1 - suf]) suf++;
    var runs = [];
    if (pre) runs.push([EQ, 0, pre, 0, pre]);
    var mid = myersCore(a, b, pre, n - suf, pre, m - suf);
    for (var i = 0; i < mid.length; i++) runs.push(mid[i]);
    if (suf) runs.push([EQ, n - suf, n, m - suf, m]);
    return normalizeRuns(runs);
  }

  function myersCore(a, b, a0, a1, b0, b1) {
    var n = a1 - a0;
    var m = b1 - b0;
    if (!n && !m) return [];
    if (!n) return [[INS, a0, a0, b0, b1]];
    if (!m) return [[DEL, a0, a1, b0, b0]];
    var max = n + m;
    var off = max + 1;
    var v = new Int32Array(2 * max + 3);
    var trace = [];
    var found = -1;
    for (var d = 0; d <= max && found < 0; d++) {
      if (d > MAX_EDIT) return [[DEL, a0, a1, b0, b0], [INS, a1, a1, b0, b1]];
      trace.push(v.slice(off - d - 1, off + d + 2));
      for (var k = -d; k <= d; k += 2) {
        var x = k === -d || (k !== d && v[off + k - 1] < v[off + k + 1]) ? v[off + k + 1] : v[off + k - 1] + 1;
        var y = x - k;
        while (x < n && y < m && a[a0 + x] === b[b0 + y]) {
          x++;
          y++;
        }
        v[off + k] = x;
        if (x >= n && y >= m) {
          found = d;
          break;
        }
      }
    }
    // Backtrack from (n, m); each step of d is a snake preceded by one insertion or deletion.
    var edits = []; // reversed: [op, aIndex, bIndex]
    var cx = n;
    var cy = m;
    for (var dd = found; dd >= 0; dd--) {
      var snap = trace[dd];
      var kk = cx - cy;
      if (dd === 0) {
        while (cx > 0 && cy > 0) {
          edits.push([EQ, --cx, --cy]);
        }
        break;
      }
      var get = function (kx) {
        return snap[kx + dd + 1];
      };
      var prevK = kk === -dd || (kk !== dd && get(kk - 1) < get(kk + 1)) ? kk + 1 : kk - 1;
      var prevX = get(prevK);
      var prevY = prevX - prevK;
      while (cx > prevX && cy > prevY) {
        edits.push([EQ, --cx, --cy]);
      }
      if (cx === prevX) edits.push([INS, cx, --cy]);
      else edits.push([DEL, --cx, cy]);
      cx = prevX;
      cy = prevY;
    }
    edits.reverse();
    var runs = [];
    for (var i = 0; i < edits.length; i++) {
      var e = edits[i];
      var ai = a0 + e[1];
      var bi = b0 + e[2];
      var last = runs[runs.length - 1];
      if (e[0] === EQ) {
        if (last && last[0] === EQ) {
          last[2]++;
          last[4]++;
        } else runs.push([EQ, ai, ai + 1, bi, bi + 1]);
      } else if (e[0] === DEL) {
        runs.push([DEL, ai, ai + 1, bi, bi]);
      } else {
        runs.push([INS, ai, ai, bi, bi + 1]);
      }
    }
    return runs;
  }

  /** Merge runs: equalities joined, every change region as one deletion followed by one insertion. */
  function normalizeRuns(runs) {
    var out = [];
    var i = 0;
    while (i < runs.length) {
      if (runs[i][0] === EQ) {
        var last = out[out.length - 1];
        if (last && last[0] === EQ) {
          last[2] = runs[i][2];
          last[4] = runs[i][4];
        } else out.push(runs[i].slice());
        i++;
        continue;
      }
      var a0 = runs[i][1];
      var b0 = runs[i][3];
      var a1 = a0;
      var b1 = b0;
      while (i < runs.length && runs[i][0] !== EQ) {
        a1 = Math.max(a1, runs[i][2]);
        b1 = Math.max(b1, runs[i][4]);
        i++;
      }
      if (a1 > a0) out.push([DEL, a0, a1, b0, b0]);
      if (b1 > b0) out.push([INS, a1, a1, b0, b1]);
    }
    return out;
  }

  function joined(tokens) {
    return tokens.join("");
  }

  function isWord(ch) {
    return !!ch && /^[\p{L}\p{N}_]$/u.test(ch);
  }

  var segmenterCache = {};
  function segmenter(lang) {
    if (typeof Intl === "undefined" || typeof Intl.Segmenter !== "function") return null;
    if (!segmenterCache[lang]) {
      try {
        segmenterCache[lang] = new Intl.Segmenter(lang || undefined, { granularity: "word" });
      } catch (e) {
        segmenterCache[lang] = new Intl.Segmenter(undefined, { granularity: "word" });
      }
    }
    return segmenterCache[lang];
  }

  var FALLBACK_TOKEN = /\p{Script=Han}|[\p{L}\p{N}_]+|\s+|[\s\S]/gu;

  /** Word-level tokens whose concatenation is exactly text (Chinese words via the browser's dictionary). */
  function tokenize(text, lang) {
    if (!text) return [];
    var seg = segmenter(lang);
    var out = [];
    if (seg) {
      var it = seg.segment(text)[Symbol.iterator]();
      for (var s = it.next(); !s.done; s = it.next()) {
        var piece = s.value.segment;
        if (!s.value.isWordLike && piece.length > 1 && !/^\s+$/.test(piece)) {
          // punctuation runs: one token per character, as the build-time tokenizer does
          var chars = Array.from(piece);
          for (var c = 0; c < chars.length; c++) out.push(chars[c]);
        } else out.push(piece);
      }
      return out;
    }
    return text.match(FALLBACK_TOKEN) || [];
  }

  function tokensIn(segs, start, end, lang) {
    var tokens = [];
    var pos = 0;
    for (var i = 0; i < segs.length; i++) {
      var s = segs[i];
      var a = pos;
      var b = pos + s.length;
      pos = b;
      var lo = Math.max(a, start);
      var hi = Math.min(b, end);
      if (lo < hi) {
        var t = tokenize(s.slice(lo - a, hi - a), lang);
        for (var j = 0; j < t.length; j++) tokens.push(t[j]);
      }
      if (pos >= end) break;
    }
    return tokens;
  }

  function commonOverlap(t1, t2) {
    // tokens: longest suffix of t1 that is a prefix of t2
    var max = Math.min(t1.length, t2.length);
    for (var len = max; len > 0; len--) {
      var ok = true;
      for (var i = 0; i < len; i++) {
        if (t1[t1.length - len + i] !== t2[i]) {
          ok = false;
          break;
        }
      }
      if (ok) return len;
    }
    return 0;
  }

  /** Join neighbouring runs of one kind; factor common prefix/suffix of a deletion+insertion pair out. */
  function cleanupMerge(diffs) {
    var out = [];
    var i = 0;
    while (i < diffs.length) {
      if (diffs[i][0] === EQ) {
        var last = out[out.length - 1];
        if (last && last[0] === EQ) last[1] = last[1].concat(diffs[i][1]);
        else if (diffs[i][1].length) out.push([EQ, diffs[i][1].slice()]);
        i++;
        continue;
      }
      var del = [];
      var ins = [];
      while (i < diffs.length && diffs[i][0] !== EQ) {
        if (diffs[i][0] === DEL) del = del.concat(diffs[i][1]);
        else ins = ins.concat(diffs[i][1]);
        i++;
      }
      var pre = 0;
      if (del.length && ins.length) {
        while (pre < del.length && pre < ins.length && del[pre] === ins[pre]) pre++;
        var suf = 0;
        while (suf < del.length - pre && suf < ins.length - pre && del[del.length - 1 - suf] === ins[ins.length - 1 - suf]) suf++;
        if (pre) {
          var prev = out[out.length - 1];
          if (prev && prev[0] === EQ) prev[1] = prev[1].concat(ins.slice(0, pre));
          else out.push([EQ, ins.slice(0, pre)]);
        }
        var tail = suf ? ins.slice(ins.length - suf) : [];
        del = del.slice(pre, del.length - suf);
        ins = ins.slice(pre, ins.length - suf);
        if (del.length) out.push([DEL, del]);
        if (ins.length) out.push([INS, ins]);
        if (tail.length) out.push([EQ, tail]);
      } else {
        if (del.length) out.push([DEL, del]);
        if (ins.length) out.push([INS, ins]);
      }
    }
    // neighbouring equalities may have appeared
    var merged = [];
    for (var k = 0; k < out.length; k++) {
      var l = merged[merged.length - 1];
      if (l && l[0] === out[k][0]) l[1] = l[1].concat(out[k][1]);
      else merged.push(out[k]);
    }
    return merged;
  }

  /** diff-match-patch's semantic cleanup on token runs: drop small equalities, then factor overlaps. */
  function cleanupSemantic(diffs) {
    var changes = false;
    var equalities = [];
    var lastEquality = null;
    var pointer = 0;
    var li1 = 0;
    var ld1 = 0;
    var li2 = 0;
    var ld2 = 0;
    while (pointer < diffs.length) {
      if (diffs[pointer][0] === EQ) {
        equalities.push(pointer);
        li1 = li2;
        ld1 = ld2;
        li2 = 0;
        ld2 = 0;
        lastEquality = diffs[pointer][1];
      } else {
        if (diffs[pointer][0] === INS) li2 += diffs[pointer][1].length;
        else ld2 += diffs[pointer][1].length;
        if (lastEquality && lastEquality.length <= Math.max(li1, ld1) && lastEquality.length <= Math.max(li2, ld2)) {
          var at = equalities[equalities.length - 1];
          diffs.splice(at, 0, [DEL, lastEquality.slice()]);
          diffs[at + 1] = [INS, diffs[at + 1][1]];
          equalities.pop();
          equalities.pop();
          pointer = equalities.length ? equalities[equalities.length - 1] : -1;
          li1 = ld1 = li2 = ld2 = 0;
          lastEquality = null;
          changes = true;
        }
      }
      pointer++;
    }
    if (changes) diffs = cleanupMerge(diffs);
    pointer = 1;
    while (pointer < diffs.length) {
      if (diffs[pointer - 1][0] === DEL && diffs[pointer][0] === INS) {
        var deletion = diffs[pointer - 1][1];
        var insertion = diffs[pointer][1];
        var o1 = commonOverlap(deletion, insertion);
        var o2 = commonOverlap(insertion, deletion);
        if (o1 >= o2) {
          if (o1 && (o1 >= deletion.length / 2 || o1 >= insertion.length / 2)) {
            diffs.splice(pointer, 0, [EQ, insertion.slice(0, o1)]);
            diffs[pointer - 1] = [DEL, deletion.slice(0, deletion.length - o1)];
            diffs[pointer + 1] = [INS, insertion.slice(o1)];
            pointer++;
          }
        } else if (o2 && (o2 >= deletion.length / 2 || o2 >= insertion.length / 2)) {
          diffs.splice(pointer, 0, [EQ, deletion.slice(0, o2)]);
          diffs[pointer - 1] = [INS, insertion.slice(0, insertion.length - o2)];
          diffs[pointer + 1] = [DEL, deletion.slice(o2)];
          pointer++;
        }
        pointer++;
      }
      pointer++;
    }
    return diffs.filter(function (d) {
      return d[1].length > 0;
    });
  }

  function boundaryScore(left, right) {
    if (!left || !right) return 6;
    var x = left[left.length - 1];
    var y = right[0];
    if (x === "\n" || y === "\n") return 4;
    if ("。！？；.!?;".indexOf(x) >= 0) return 3;
    if (/\s/.test(x) || /\s/.test(y)) return 2;
    if (!isWord(x) || !isWord(y)) return 1;
    return 0;
  }

  /** Shift single edits between two equalities to the best word/text-node boundary (ties go right). */
  function slideToBoundaries(ops, bounds, leftCtx, rightCtx) {
    var pos = 0;
    for (var k = 0; k < ops.length; k++) {
      var op = ops[k][0];
      if (op !== EQ && k > 0 && k < ops.length - 1 && ops[k - 1][0] === EQ && ops[k + 1][0] === EQ) {
        var left = ops[k - 1][1].slice();
        var edit = ops[k][1].slice();
        var right = ops[k + 1][1].slice();
        var base = pos - joined(left).length;
        while (left.length && left[left.length - 1] === edit[edit.length - 1]) {
          edit.unshift(left.pop());
          right.unshift(edit.pop());
        }
        var best = null;
        for (;;) {
          var lt = joined(left);
          var et = joined(edit);
          var rt = joined(right);
          var start = base + lt.length;
          var end = op === INS ? start + et.length : start;
          var score =
            boundaryScore(lt || (k === 1 ? leftCtx : "x"), et) +
            boundaryScore(et, rt || (k === ops.length - 2 ? rightCtx : "x")) +
            (bounds.has(start) ? 6 : 0) +
            (bounds.has(end) ? 6 : 0);
          if (best === null || score >= best[0]) best = [score, left.slice(), edit.slice(), right.slice()];
          if (!right.length || right[0] !== edit[0]) break;
          left.push(edit.shift());
          edit.push(right.shift());
        }
        ops[k - 1] = [EQ, best[1]];
        ops[k] = [op, best[2]];
        ops[k + 1] = [EQ, best[3]];
        pos = base + joined(best[1]).length;
      }
      if (op !== DEL) pos += joined(ops[k][1]).length;
    }
  }

  function diffTokens(a, b, bounds, leftCtx, rightCtx) {
    if (!a.length && !b.length) return [];
    var runs = myers(a, b);
    var ops = runs.map(function (r) {
      return r[0] === DEL ? [DEL, a.slice(r[1], r[2])] : [r[0], b.slice(r[3], r[4])];
    });
    ops = cleanupSemantic(ops);
    slideToBoundaries(ops, bounds, leftCtx, rightCtx);
    var out = [];
    for (var i = 0; i < ops.length; i++) {
      if (ops[i][1].length) out.push([ops[i][0], joined(ops[i][1])]);
    }
    return out;
  }

  function mergeTextOps(ops) {
    var out = [];
    for (var i = 0; i < ops.length; i++) {
      var op = ops[i][0];
      var text = ops[i][1];
      if (!text) continue;
      var last = out[out.length - 1];
      if (last && last[0] === op) last[1] += text;
      else out.push([op, text]);
    }
    return out;
  }

  function isHighSurrogate(s, i) {
    var c = s.charCodeAt(i);
    return c >= 0xd800 && c <= 0xdbff;
  }

  /** Word-level diff of two texts given as lists of segments (text nodes): [[op, text]]. */
  function diffSegments(oldSegs, newSegs, lang) {
    var old = oldSegs.join("");
    var neu = newSegs.join("");
    if (old === neu) return neu ? [[EQ, neu]] : [];
    var lo = old.length;
    var ln = neu.length;
    var p = 0;
    while (p < lo && p < ln && old.charCodeAt(p) === neu.charCodeAt(p)) p++;
    if (p > 0 && isHighSurrogate(old, p - 1)) p--;
    while (p > 0 && isWord(old[p - 1])) p--;
    while (p > 0 && !isWord(old[p - 1])) p--;
    while (p > 0 && isWord(old[p - 1])) p--;
    var s = 0;
    while (s < lo - p && s < ln - p && old.charCodeAt(lo - 1 - s) === neu.charCodeAt(ln - 1 - s)) s++;
    if (s > 0 && lo - s > 0 && isHighSurrogate(old, lo - s - 1)) s--;
    while (s > 0 && isWord(old[lo - s])) s--;
    while (s > 0 && !isWord(old[lo - s])) s--;
    while (s > 0 && isWord(old[lo - s])) s--;
    var bounds = new Set();
    var acc = 0;
    for (var i = 0; i < newSegs.length - 1; i++) {
      acc += newSegs[i].length;
      if (p <= acc && acc <= ln - s) bounds.add(acc - p);
    }
    var ops = [[EQ, old.slice(0, p)]];
    var mid = diffTokens(tokensIn(oldSegs, p, lo - s, lang), tokensIn(newSegs, p, ln - s, lang), bounds,
      old.slice(0, p), old.slice(lo - s));
    for (var j = 0; j < mid.length; j++) ops.push(mid[j]);
    ops.push([EQ, old.slice(lo - s)]);
    return mergeTextOps(ops);
  }

  /** Split new-side runs over segments of the given lengths; deletions at a boundary go to the earlier one. */
  function spread(ops, lens) {
    var n = lens.length;
    if (!n) {
      return [ops.filter(function (o) {
        return o[0] === DEL;
      })];
    }
    var out = [];
    for (var i = 0; i < n; i++) out.push([]);
    var k = 0;
    var off = 0;
    var pos = 0;
    for (var j = 0; j < ops.length; j++) {
      var op = ops[j][0];
      var text = ops[j][1];
      if (op === DEL) {
        out[k].push([op, text]);
        continue;
      }
      while (text) {
        while (k < n - 1 && pos >= off + lens[k]) {
          off += lens[k];
          k++;
        }
        var take = Math.min(text.length, off + lens[k] - pos);
        if (take <= 0) take = text.length; // cannot happen for consistent input
        out[k].push([op, text.slice(0, take)]);
        text = text.slice(take);
        pos += take;
      }
    }
    return out;
  }

  // ----------------------------------------------------------------------------------
  // Blocks (mirrors hooks/policykit/blocks.py)

  function words(s) {
    var set = new Set();
    s.split(" ").forEach(function (w) {
      if (w) set.add(w);
    });
    return set;
  }

  var VOID_TAGS = words("area base br col embed hr img input keygen link meta param source track wbr");
  var OPAQUE_TAGS = words("script style template textarea svg math iframe object video audio canvas select noscript");
  var BLOCK_TAGS = words(
    "address article aside blockquote caption colgroup dd details dialog div dl dt fieldset figcaption figure " +
      "footer form h1 h2 h3 h4 h5 h6 header hgroup hr legend li main menu nav ol p pre search section summary " +
      "table tbody td tfoot th thead tr ul"
  );
  var ALWAYS_LEAF = words("p h1 h2 h3 h4 h5 h6 pre tr hr summary caption legend figcaption dt");
  var STRUCTURAL_TAGS = words("ul ol dl menu table thead tbody tfoot tr colgroup");
  var INSIDE_OK = words("li dd div blockquote section article aside");
  var ROW_PARENTS = words("table thead tbody tfoot");
  var OLD_ITEM_TAGS = words("li dt dd tr summary caption");
  var DROP_ON_IMPORT = "script, style, template, iframe, object, embed, noscript, link, meta, base";

  function tagOf(node) {
    return node && node.nodeType === 1 ? node.localName : "";
  }

  function Walker(root) {
    this.root = root;
    this.memo = new Map();
  }

  Walker.prototype.hasBlockDescendant = function (node) {
    if (this.memo.has(node)) return this.memo.get(node);
    var result = false;
    for (var c = node.firstElementChild; c; c = c.nextElementSibling) {
      var t = tagOf(c);
      if (BLOCK_TAGS.has(t) || (!OPAQUE_TAGS.has(t) && this.hasBlockDescendant(c))) {
        result = true;
        break;
      }
    }
    this.memo.set(node, result);
    return result;
  };

  Walker.prototype.isBlockChild = function (node) {
    return node.nodeType === 1 && (BLOCK_TAGS.has(tagOf(node)) || this.hasBlockDescendant(node));
  };

  Walker.prototype.isFlow = function (node) {
    if (node === this.root) return true;
    var t = tagOf(node);
    return !STRUCTURAL_TAGS.has(t) && !ALWAYS_LEAF.has(t);
  };

  function collectSegs(parentTag, children, segs) {
    for (var i = 0; i < children.length; i++) {
      var c = children[i];
      if (c.nodeType === 3) {
        if (!STRUCTURAL_TAGS.has(parentTag)) segs.push(c);
      } else if (c.nodeType === 1 && !OPAQUE_TAGS.has(tagOf(c))) {
        collectSegs(tagOf(c), c.childNodes, segs);
      }
    }
  }

  /** Identity of a node's markup: ids and in-page links ignored (the toc renumbers them). */
  function keyMarkup(node, out) {
    if (node.nodeType === 3) {
      out.push(node.data);
    } else if (node.nodeType === 8) {
      out.push("<!--" + node.data + "-->");
    } else if (node.nodeType === 1) {
      var parts = ["<", tagOf(node)];
      for (var i = 0; i < node.attributes.length; i++) {
        var at = node.attributes[i];
        if (at.name === "id" || (at.name === "href" && at.value.charAt(0) === "#")) continue;
        parts.push(" ", at.name, '="', at.value, '"');
      }
      parts.push(">");
      out.push(parts.join(""));
      for (var c = node.firstChild; c; c = c.nextSibling) keyMarkup(c, out);
      out.push("</>");
    }
  }

  /** A block: an element, or an anonymous run of inline nodes in a container that also holds blocks. */
  function makeBlock(node, nodes, ancestors, first) {
    var anon = node === null;
    var segs = [];
    var out = [anon ? "" : tagOf(node), "\x1f"];
    if (anon) {
      collectSegs("", nodes, segs);
      for (var i = 0; i < nodes.length; i++) keyMarkup(nodes[i], out);
    } else {
      collectSegs(tagOf(node), node.childNodes, segs);
      for (var c = node.firstChild; c; c = c.nextSibling) keyMarkup(c, out);
    }
    var tag = anon ? "" : tagOf(node);
    var kind = anon || /^(p|div|blockquote|dd|section|figcaption)$/.test(tag) ? "p" : /^h[1-6]$/.test(tag) ? "h" : tag;
    var texts = segs.map(function (s) {
      return s.data;
    });
    return {
      node: node,
      nodes: anon ? nodes.slice() : [node],
      anon: anon,
      key: out.join(""),
      kind: kind,
      path: ancestors.slice(1).map(tagOf).join("/"),
      ancestors: ancestors.slice(),
      segs: segs,
      text: texts.join(""),
      first: first,
      wrapper: null,
    };
  }

  Walker.prototype.walk = function (container, ancestors, blocks) {
    var self = this;
    var children = Array.prototype.slice.call(container.childNodes);
    if (!children.some(function (c) { return self.isBlockChild(c); })) return;
    var inner = ancestors.concat([container]);
    var first = true;
    var run = [];
    var flush = function () {
      if (!run.length) return;
      var blank = run.every(function (c) {
        return (c.nodeType === 3 && !c.data.trim()) || (c.nodeType !== 1 && c.nodeType !== 3);
      });
      if (!blank) {
        blocks.push(makeBlock(null, run, inner, first));
        first = false;
      }
      run = [];
    };
    for (var i = 0; i < children.length; i++) {
      var c = children[i];
      if (this.isBlockChild(c)) {
        flush();
        if (ALWAYS_LEAF.has(tagOf(c)) || !this.hasBlockDescendant(c)) blocks.push(makeBlock(c, null, inner, first));
        else this.walk(c, inner, blocks);
        first = false;
      } else {
        run.push(c);
      }
    }
    flush();
  };

  Walker.prototype.blocks = function () {
    var self = this;
    var blocks = [];
    var root = this.root;
    var children = Array.prototype.slice.call(root.childNodes);
    if (children.length && !children.some(function (c) { return self.isBlockChild(c); })) {
      var content = children.some(function (c) {
        return c.nodeType !== 3 || c.data.trim();
      });
      if (content) blocks.push(makeBlock(null, children, [root], true));
      return blocks;
    }
    this.walk(root, [], blocks);
    return blocks;
  };

  // ----------------------------------------------------------------------------------
  // Block alignment (mirrors htmldiff._align and _pair)

  var PAIR_THRESHOLD = 0.45;
  var FULL_DP_LIMIT = 250000;
  var BAND = 12;

  function similarity(a, b) {
    var ta = a.text;
    var tb = b.text;
    if (!ta && !tb) return 1;
    var la = ta.length;
    var lb = tb.length;
    if (!la || !lb || (2 * Math.min(la, lb)) / (la + lb) < PAIR_THRESHOLD) return 0;
    var eq = 0;
    var runs = myers(ta, tb);
    for (var i = 0; i < runs.length; i++) if (runs[i][0] === EQ) eq += runs[i][2] - runs[i][1];
    return (2 * eq) / (la + lb);
  }

  function pairBlocks(dels, adds) {
    var m = dels.length;
    var n = adds.length;
    if (!m || !n) return [];
    if (m === 1 && n === 1) return dels[0].kind === adds[0].kind ? [[0, 0]] : [];
    var sim = function (i, j) {
      if (dels[i].kind !== adds[j].kind) return 0;
      if (m * n > 400 && Math.abs(j - (i * n) / m) > BAND) return 0;
      return similarity(dels[i], adds[j]);
    };
    var pairs = [];
    if (m * n > FULL_DP_LIMIT) {
      var j0 = 0;
      for (var gi = 0; gi < m; gi++) {
        var best = 0;
        var bestJ = -1;
        for (var gj = j0; gj < Math.min(n, j0 + BAND); gj++) {
          var sv = sim(gi, gj);
          if (sv >= PAIR_THRESHOLD && sv > best) {
            best = sv;
            bestJ = gj;
          }
        }
        if (bestJ >= 0) {
          pairs.push([gi, bestJ]);
          j0 = bestJ + 1;
        }
      }
      return pairs;
    }
    var score = [];
    for (var r = 0; r <= m; r++) score.push(new Float64Array(n + 1));
    var sims = new Map();
    for (var i = 1; i <= m; i++) {
      var row = score[i];
      var prev = score[i - 1];
      for (var j = 1; j <= n; j++) {
        var b = prev[j] >= row[j - 1] ? prev[j] : row[j - 1];
        var s = sim(i - 1, j - 1);
        if (s >= PAIR_THRESHOLD) {
          sims.set((i - 1) * n + (j - 1), s);
          if (prev[j - 1] + s > b) b = prev[j - 1] + s;
        }
        row[j] = b;
      }
    }
    var x = m;
    var y = n;
    while (x > 0 && y > 0) {
      var sk = sims.get((x - 1) * n + (y - 1));
      if (sk !== undefined && score[x][y] === score[x - 1][y - 1] + sk) {
        pairs.push([x - 1, y - 1]);
        x--;
        y--;
      } else if (score[x][y] === score[x - 1][y]) x--;
      else y--;
    }
    pairs.reverse();
    return pairs;
  }

  /** Events in merged document order: ["eq", o, n] ["chg", o, n] ["del", o] ["ins", n] ["mfrom", o, k] ["mto", n, k]. */
  function align(old, neu) {
    var ids = new Map();
    var idOf = function (b) {
      var id = ids.get(b.key);
      if (id === undefined) {
        id = ids.size;
        ids.set(b.key, id);
      }
      return id;
    };
    var ka = old.map(idOf);
    var kb = neu.map(idOf);
    var seq = [];
    myers(ka, kb).forEach(function (r) {
      var k;
      if (r[0] === EQ) for (k = 0; k < r[2] - r[1]; k++) seq.push(["=", r[1] + k, r[3] + k]);
      else if (r[0] === DEL) for (k = r[1]; k < r[2]; k++) seq.push(["-", k, -1]);
      else for (k = r[3]; k < r[4]; k++) seq.push(["+", -1, k]);
    });
    var addedByKey = new Map();
    seq.forEach(function (s) {
      if (s[0] === "+" && neu[s[2]].text.trim()) {
        if (!addedByKey.has(neu[s[2]].key)) addedByKey.set(neu[s[2]].key, []);
        addedByKey.get(neu[s[2]].key).push(s[2]);
      }
    });
    var used = new Map();
    var movedOld = new Map();
    var movedNew = new Map();
    seq.forEach(function (s) {
      if (s[0] !== "-") return;
      var key = old[s[1]].key;
      var cands = addedByKey.get(key);
      var k = used.get(key) || 0;
      if (cands && k < cands.length && old[s[1]].text.trim()) {
        used.set(key, k + 1);
        var mv = movedOld.size;
        movedOld.set(s[1], mv);
        movedNew.set(cands[k], mv);
      }
    });
    var events = [];
    var dels = [];
    var adds = [];
    var flush = function () {
      if (!dels.length && !adds.length) return;
      var cd = dels.filter(function (x) { return !movedOld.has(x); });
      var ca = adds.filter(function (x) { return !movedNew.has(x); });
      var pairs = pairBlocks(cd.map(function (x) { return old[x]; }), ca.map(function (x) { return neu[x]; }));
      var di = 0;
      var ai = 0;
      var emitDel = function (x) {
        events.push(movedOld.has(x) ? ["mfrom", x, movedOld.get(x)] : ["del", x]);
      };
      var emitAdd = function (x) {
        events.push(movedNew.has(x) ? ["mto", x, movedNew.get(x)] : ["ins", x]);
      };
      pairs.forEach(function (p) {
        var o = cd[p[0]];
        var nw = ca[p[1]];
        while (dels[di] !== o) emitDel(dels[di++]);
        while (adds[ai] !== nw) emitAdd(adds[ai++]);
        events.push(["chg", o, nw]);
        di++;
        ai++;
      });
      for (; di < dels.length; di++) emitDel(dels[di]);
      for (; ai < adds.length; ai++) emitAdd(adds[ai]);
      dels = [];
      adds = [];
    };
    seq.forEach(function (s) {
      if (s[0] === "=") {
        flush();
        events.push(["eq", s[1], s[2]]);
      } else if (s[0] === "-") dels.push(s[1]);
      else adds.push(s[2]);
    });
    flush();
    return events;
  }

  // ----------------------------------------------------------------------------------
  // Rendering into DOM nodes (mirrors htmldiff._Renderer)

  function el(tag, cls) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    return e;
  }

  function srSpan(text) {
    var s = el("span", "sr-only");
    s.textContent = text;
    return s;
  }

  function cellsOf(node) {
    var out = [];
    if (!node || node.nodeType !== 1) return out;
    for (var c = node.firstElementChild; c; c = c.nextElementSibling) {
      if (tagOf(c) === "td" || tagOf(c) === "th") out.push(c);
    }
    return out;
  }

  function Renderer(root, walker, labels, lang) {
    this.root = root;
    this.walker = walker;
    this.labels = labels;
    this.lang = lang;
    this.after = new Map();
    this.before = new Map();
    this.inside = new Map();
    this.tail = [];
    this.moveAnchors = new Map(); // move -> {from: anchor, to: anchor}
    this.notes = []; // [link, move, otherSide]
  }

  Renderer.prototype.anchor = function () {
    return el("span", "diff-anchor");
  };

  /** "Moved to/from change K": the link is filled in once the anchors are numbered (side = the target's side). */
  Renderer.prototype.moveNote = function (text, move, side) {
    var note = el("span", "diff-note");
    note.appendChild(document.createTextNode(text + " "));
    var link = el("a");
    note.appendChild(link);
    this.notes.push([link, move, side]);
    return note;
  };

  Renderer.prototype.pieces = function (pieces) {
    var frag = document.createDocumentFragment();
    var lb = this.labels;
    pieces.forEach(function (p) {
      if (p[0] === EQ) {
        frag.appendChild(document.createTextNode(p[1]));
        return;
      }
      var m = el(p[0] === INS ? "ins" : "del");
      m.appendChild(srSpan("[" + (p[0] === INS ? lb.inserted : lb.deleted) + ": "));
      m.appendChild(document.createTextNode(p[1]));
      m.appendChild(srSpan("]"));
      frag.appendChild(m);
    });
    return frag;
  };

  /** The element a new block is decorated on: anonymous runs are wrapped in a span first. */
  Renderer.prototype.host = function (block, cls) {
    if (block.anon) {
      if (!block.wrapper) {
        var span = el("span", cls);
        var firstNode = block.nodes[0];
        firstNode.parentNode.insertBefore(span, firstNode);
        block.nodes.forEach(function (n) {
          span.appendChild(n);
        });
        block.wrapper = span;
      }
      return block.wrapper;
    }
    cls.split(" ").forEach(function (c) {
      block.node.classList.add(c);
    });
    return block.node;
  };

  Renderer.prototype.decorateNew = function (block, mode, move, oldBlock) {
    var lb = this.labels;
    var cls = mode === "chg" ? "diff-changed" : mode === "ins" ? "diff-added" : "diff-moved diff-moved-to";
    var formatOnly = false;
    var pieceMap = null;
    var virtual = null;
    if (mode === "chg") {
      var st = this.inline(oldBlock, block);
      pieceMap = st.pieces;
      virtual = st.virtual;
      formatOnly = !st.changed;
      if (formatOnly) cls += " diff-format";
    }
    var node = this.host(block, cls);
    var anchor = this.anchor();
    var lead = [anchor];
    if (mode === "mto") lead.push(this.moveNote(lb.movedFrom, move, "from"));
    if (mode === "ins" || mode === "mto") lead.push(srSpan("[" + lb.blockInserted + ": "));
    else if (formatOnly) lead.push(srSpan("[" + lb.formatting + "]"));
    if (mode === "mto") {
      var entry = this.moveAnchors.get(move) || {};
      entry.to = anchor;
      this.moveAnchors.set(move, entry);
    }
    var tail = mode === "chg" ? null : srSpan("]");
    // text first (segments are replaced in place), then lead and tail
    if (mode === "chg") {
      var self = this;
      pieceMap.forEach(function (pieces, seg) {
        if (seg.parentNode) seg.parentNode.replaceChild(self.pieces(pieces), seg);
      });
      virtual.forEach(function (pieces, host) {
        host.appendChild(self.pieces(pieces));
      });
    } else {
      block.segs.forEach(function (seg) {
        if (!seg.parentNode) return;
        var ins = el("ins");
        seg.parentNode.replaceChild(ins, seg);
        ins.appendChild(seg);
      });
    }
    if (!block.anon && VOID_TAGS.has(tagOf(node))) {
      lead.forEach(function (n) {
        node.parentNode.insertBefore(n, node);
      });
      if (tail) node.parentNode.insertBefore(tail, node.nextSibling);
      return;
    }
    var leadHost = node;
    var tailHost = node;
    if (tagOf(node) === "tr") {
      var cells = cellsOf(node);
      if (cells.length) {
        leadHost = cells[0];
        tailHost = cells[cells.length - 1];
      }
    }
    var firstChild = leadHost.firstChild;
    lead.forEach(function (n) {
      leadHost.insertBefore(n, firstChild);
    });
    if (tail) tailHost.appendChild(tail);
  };

  /** Inline word diff of a paired block, spread over the new text nodes. */
  Renderer.prototype.inline = function (old, neu) {
    var slots = [];
    var lang = this.lang;
    var segsOf = function (node) {
      var segs = [];
      collectSegs(tagOf(node), node.childNodes, segs);
      return segs;
    };
    if (!neu.anon && !old.anon && tagOf(neu.node) === "tr" && tagOf(old.node) === "tr") {
      var oc = cellsOf(old.node);
      var nc = cellsOf(neu.node);
      if (oc.length === nc.length && nc.length) {
        for (var i = 0; i < nc.length; i++) slots.push([nc[i], segsOf(oc[i]), segsOf(nc[i])]);
      }
    }
    if (!slots.length) {
      var host = neu.anon ? null : neu.node;
      if (host && tagOf(host) === "tr") {
        var cells = cellsOf(host);
        host = cells.length ? cells[0] : host;
      }
      slots.push([host, old.segs, neu.segs]);
    }
    var pieces = new Map();
    var virtual = new Map();
    var changed = false;
    var self = this;
    slots.forEach(function (slot) {
      var ops = diffSegments(slot[1].map(function (s) { return s.data; }), slot[2].map(function (s) { return s.data; }), lang);
      if (ops.some(function (o) { return o[0] !== EQ; })) changed = true;
      var parts = spread(ops, slot[2].map(function (s) { return s.data.length; }));
      if (slot[2].length) {
        slot[2].forEach(function (seg, i) {
          pieces.set(seg, parts[i]);
        });
      } else if (parts[0].length) {
        virtual.set(slot[0] || self.host(neu, "diff-changed"), parts[0]);
      }
    });
    return { pieces: pieces, virtual: virtual, changed: changed };
  };

  // -- removed blocks ------------------------------------------------------------------

  Renderer.prototype.placeRun = function (items, a, b) {
    if (!items.length) return;
    if (!a && !b) {
      for (var t = 0; t < items.length; t++) {
        items[t].wrap = items[t].block.ancestors.slice(1);
        this.tail.push(items[t]);
      }
      return;
    }
    var split = items.length;
    if (b) {
      if (!a) split = 0;
      else {
        var k = items.length;
        while (k > 0 && items[k - 1].block.path === b.path) k--;
        for (var idx = k; idx < items.length; idx++) {
          var r = items[idx].block;
          if (r.first || a.path !== r.path) {
            split = idx;
            break;
          }
        }
      }
    }
    if (split) this.attach(items.slice(0, split), a, b, true);
    if (split < items.length) this.attach(items.slice(split), b, null, false);
  };

  function flowChain(walker, ancestors) {
    var j = ancestors.length - 1;
    while (j > 0 && !walker.isFlow(ancestors[j])) j--;
    return ancestors.slice(j + 1);
  }

  function adapterFor(anchorNode, parent) {
    var tag = tagOf(parent);
    if (tag === "ul" || tag === "ol" || tag === "menu") return [{ synthetic: "li" }];
    if (tag === "dl") return [{ synthetic: "dd" }];
    if (ROW_PARENTS.has(tag)) {
      var span = String(Math.max(1, tagOf(anchorNode) === "tr" ? cellsOf(anchorNode).length : 1));
      return [{ synthetic: "tr" }, { synthetic: "td", colspan: span }];
    }
    if (tag === "tr") return [{ synthetic: "td" }];
    return [];
  }

  Renderer.prototype.attach = function (items, anchor, nxt, forward) {
    var anc = anchor.ancestors;
    var nodeKey = anchor.anon ? anchor : anchor.node;
    var inside = anc.length;
    var sibling = anc.length - 1;
    var oldWalker = this.oldWalker;
    var depths = [];
    var nodeTag = anchor.anon ? "" : tagOf(anchor.node);
    items.forEach(function (item) {
      var rp = item.block.path ? item.block.path.split("/") : [];
      var limit = Math.min(anc.length - 1, rp.length);
      var d = 0;
      while (d < limit && tagOf(anc[d + 1]) === rp[d]) d++;
      while (d > 0 && !(d === rp.length || this.walker.isFlow(anc[d]))) d--;
      if (forward && nxt && d < sibling && nxt.ancestors.indexOf(anc[d + 1]) >= 0) {
        d = !anchor.anon && INSIDE_OK.has(nodeTag) ? inside : sibling;
      }
      depths.push(d);
    }, this);
    var order = [];
    for (var i = 0; i < items.length; i++) order.push(forward ? i : items.length - 1 - i);
    var low = inside;
    order.forEach(function (k) {
      low = Math.min(low, depths[k]);
      depths[k] = low;
    });
    var target = forward ? this.after : this.before;
    var adapter = null;
    for (var n = 0; n < items.length; n++) {
      var item = items[n];
      var d = depths[n];
      var ra = item.block.ancestors;
      if (d === inside) {
        item.wrap = flowChain(oldWalker, ra);
        if (!this.inside.has(nodeKey)) this.inside.set(nodeKey, []);
        this.inside.get(nodeKey).push(item);
        continue;
      }
      var host = d + 1 < anc.length ? anc[d + 1] : nodeKey;
      var itemTag = item.block.anon ? "" : tagOf(item.block.node);
      if (d === sibling && item.block.path !== anchor.path && !(itemTag === "tr" && ROW_PARENTS.has(tagOf(anc[anc.length - 1])))) {
        if (adapter === null) adapter = adapterFor(anchor.anon ? null : anchor.node, anc[anc.length - 1]);
        item.wrap = adapter.concat(flowChain(oldWalker, ra));
      } else {
        item.wrap = ra.slice(d + 1);
      }
      if (!target.has(host)) target.set(host, []);
      target.get(host).push(item);
    }
  };

  function stripAttributes(node) {
    node.removeAttribute("id");
    var names = [];
    for (var i = 0; i < node.attributes.length; i++) {
      if (/^on/i.test(node.attributes[i].name)) names.push(node.attributes[i].name);
    }
    names.forEach(function (n) {
      node.removeAttribute(n);
    });
  }

  function shallowClone(oldNode, addClass) {
    var copy = document.importNode(oldNode, false);
    stripAttributes(copy);
    if (addClass) {
      addClass.split(" ").forEach(function (c) {
        copy.classList.add(c);
      });
    }
    return copy;
  }

  /** A deep copy of an old node for re-insertion: ids and comments dropped, no scripts, text in del. */
  function cloneOld(node, whole, out) {
    if (node.nodeType === 3) {
      if (whole.has(node)) {
        var d = el("del");
        d.textContent = node.data;
        out.appendChild(d);
      } else out.appendChild(document.createTextNode(node.data));
      return;
    }
    if (node.nodeType !== 1 || OPAQUE_TAGS.has(tagOf(node))) return;
    var copy = shallowClone(node, "");
    for (var c = node.firstChild; c; c = c.nextSibling) cloneOld(c, whole, copy);
    out.appendChild(copy);
  }

  Renderer.prototype.emitOld = function (item, parent) {
    var lb = this.labels;
    var block = item.block;
    var cls = item.mode === "del" ? "diff-removed" : "diff-moved diff-moved-from";
    var anchor = this.anchor();
    var lead = [anchor];
    if (item.mode === "mfrom") {
      lead.push(this.moveNote(lb.movedTo, item.move, "to"));
      var entry = this.moveAnchors.get(item.move) || {};
      entry.from = anchor;
      this.moveAnchors.set(item.move, entry);
    }
    lead.push(srSpan("[" + lb.blockDeleted + ": "));
    var tail = srSpan("]");
    var whole = new Set(block.segs);
    var node = block.node;
    if (!block.anon && OLD_ITEM_TAGS.has(tagOf(node))) {
      var copy = shallowClone(node, cls);
      for (var c = node.firstChild; c; c = c.nextSibling) cloneOld(c, whole, copy);
      var leadHost = copy;
      var tailHost = copy;
      if (tagOf(copy) === "tr") {
        var cells = cellsOf(copy);
        if (cells.length) {
          leadHost = cells[0];
          tailHost = cells[cells.length - 1];
        }
      }
      var first = leadHost.firstChild;
      lead.forEach(function (n) {
        leadHost.insertBefore(n, first);
      });
      tailHost.appendChild(tail);
      parent.appendChild(copy);
      return;
    }
    var div = el("div", cls);
    lead.forEach(function (n) {
      div.appendChild(n);
    });
    block.nodes.forEach(function (n) {
      cloneOld(n, whole, div);
    });
    div.appendChild(tail);
    parent.appendChild(div);
  };

  /** Removed blocks as a fragment; consecutive ones share re-created containers. */
  Renderer.prototype.emitOldList = function (items) {
    var frag = document.createDocumentFragment();
    var open = []; // [wrapKey, element]
    var self = this;
    items.forEach(function (item) {
      var k = 0;
      while (k < open.length && k < item.wrap.length && open[k][0] === item.wrap[k]) k++;
      open.length = k;
      for (var w = k; w < item.wrap.length; w++) {
        var spec = item.wrap[w];
        var wrapEl;
        if (spec.synthetic) {
          wrapEl = el(spec.synthetic);
          if (spec.colspan) wrapEl.setAttribute("colspan", spec.colspan);
        } else {
          wrapEl = shallowClone(spec, "diff-wrap");
        }
        (open.length ? open[open.length - 1][1] : frag).appendChild(wrapEl);
        open.push([spec, wrapEl]);
      }
      self.emitOld(item, open.length ? open[open.length - 1][1] : frag);
    });
    return frag;
  };

  function firstNodeOf(key) {
    if (key && key.nodes) return key.wrapper || key.nodes[0];
    return key;
  }

  function lastNodeOf(key) {
    if (key && key.nodes) return key.wrapper || key.nodes[key.nodes.length - 1];
    return key;
  }

  Renderer.prototype.render = function (oldBlocks, newBlocks, events) {
    var counts = { changed: 0, added: 0, removed: 0, moved: 0 };
    var pending = [];
    var last = null;
    var decorations = [];
    for (var i = 0; i < events.length; i++) {
      var ev = events[i];
      var tag = ev[0];
      if (tag === "del" || tag === "mfrom") {
        pending.push({ block: oldBlocks[ev[1]], mode: tag, move: tag === "mfrom" ? ev[2] : -1, wrap: [] });
        if (tag === "del") counts.removed++;
        continue;
      }
      var nb = newBlocks[tag === "eq" || tag === "chg" ? ev[2] : ev[1]];
      this.placeRun(pending, last, nb);
      pending = [];
      if (tag === "chg") {
        decorations.push([nb, "chg", -1, oldBlocks[ev[1]]]);
        counts.changed++;
      } else if (tag === "ins") {
        decorations.push([nb, "ins", -1, null]);
        counts.added++;
      } else if (tag === "mto") {
        decorations.push([nb, "mto", ev[2], null]);
        counts.moved++;
      }
      last = nb;
    }
    this.placeRun(pending, last, null);
    var self = this;
    decorations.forEach(function (d) {
      self.decorateNew(d[0], d[1], d[2], d[3]);
    });
    this.after.forEach(function (items, key) {
      var ref = lastNodeOf(key);
      ref.parentNode.insertBefore(self.emitOldList(items), ref.nextSibling);
    });
    this.before.forEach(function (items, key) {
      var ref = firstNodeOf(key);
      ref.parentNode.insertBefore(self.emitOldList(items), ref);
    });
    this.inside.forEach(function (items, key) {
      firstNodeOf(key).appendChild(self.emitOldList(items));
    });
    if (this.tail.length) this.root.appendChild(this.emitOldList(this.tail));
    // number the anchors in document order, then point the move notes at each other
    var anchors = this.root.querySelectorAll("span.diff-anchor");
    for (var a = 0; a < anchors.length; a++) anchors[a].id = "change-" + (a + 1);
    var lb = this.labels;
    this.notes.forEach(function (n) {
      var link = n[0];
      var target = (self.moveAnchors.get(n[1]) || {})[n[2]];
      if (target && target.id) {
        link.setAttribute("href", "#" + target.id);
        link.textContent = lb.change + " " + target.id.slice("change-".length);
      }
    });
    return counts;
  };

  /** Diff two parsed "clean" sections; returns {node: the new text with changes marked, summary}. */
  function diffDocuments(oldSection, newSection, labels, lang) {
    var root = el("div");
    for (var c = newSection.firstChild; c; c = c.nextSibling) root.appendChild(document.importNode(c, true));
    var drop = root.querySelectorAll(DROP_ON_IMPORT);
    for (var i = 0; i < drop.length; i++) drop[i].remove();
    var all = root.querySelectorAll("*");
    for (var j = 0; j < all.length; j++) {
      for (var k = all[j].attributes.length - 1; k >= 0; k--) {
        if (/^on/i.test(all[j].attributes[k].name)) all[j].removeAttribute(all[j].attributes[k].name);
      }
    }
    var oldWalker = new Walker(oldSection);
    var newWalker = new Walker(root);
    var oldBlocks = oldWalker.blocks();
    var newBlocks = newWalker.blocks();
    var events = align(oldBlocks, newBlocks);
    var renderer = new Renderer(root, newWalker, labels, lang);
    renderer.oldWalker = oldWalker;
    var counts = renderer.render(oldBlocks, newBlocks, events);
    return { node: root, summary: counts };
  }

  // ----------------------------------------------------------------------------------
  // Compare form on history pages

  function setupCompare(form) {
    var result = document.getElementById("compare");
    if (!result || typeof DOMParser === "undefined" || typeof fetch !== "function") return;
    var data = function (name) {
      return form.getAttribute("data-" + name) || "";
    };
    var labels = {
      inserted: data("inserted"),
      deleted: data("deleted"),
      blockInserted: data("block-inserted"),
      blockDeleted: data("block-deleted"),
      formatting: data("formatting"),
      movedTo: data("moved-to"),
      movedFrom: data("moved-from"),
      change: data("change"),
    };
    var lang = document.documentElement.getAttribute("lang") || undefined;
    var title = result.querySelector(".policy-compare-result__title");
    var summary = result.querySelector(".policy-compare-result__summary");
    var body = result.querySelector(".policy-compare-result__body");
    var fromSel = form.querySelector("select[name=from]");
    var toSel = form.querySelector("select[name=to]");
    var pages = new Map();
    var runId = 0;

    var load = function (n) {
      if (!pages.has(n)) {
        var url = new URL("../versions/" + n + "/", location.href);
        var p = fetch(url.href, { credentials: "same-origin" })
          .then(function (resp) {
            if (!resp.ok) throw new Error("HTTP " + resp.status + " for " + url.pathname);
            return resp.text();
          })
          .then(function (text) {
            var doc = new DOMParser().parseFromString(text, "text/html");
            var clean = doc.getElementById("clean");
            if (!clean) throw new Error("no clean text in " + url.pathname);
            return clean;
          });
        p.catch(function () {
          pages.delete(n);
        });
        pages.set(n, p);
      }
      return pages.get(n);
    };

    var versionLabel = function (n) {
      return format(data("version"), { number: n });
    };

    var run = function (a, b, focus) {
      var id = ++runId;
      var from = Math.min(a, b);
      var to = Math.max(a, b);
      result.hidden = false;
      body.textContent = "";
      title.textContent = data("result").replace("{from}", versionLabel(from)).replace("{to}", versionLabel(to));
      if (from === to) {
        summary.textContent = data("same");
        return Promise.resolve();
      }
      summary.textContent = data("loading");
      result.setAttribute("aria-busy", "true");
      return Promise.all([load(from), load(to)])
        .then(function (docs) {
          if (id !== runId) return;
          var diff = diffDocuments(docs[0], docs[1], labels, lang);
          var s = diff.summary;
          summary.textContent = format(data("summary"), s);
          body.appendChild(diff.node);
          updateNavs(-1);
        })
        .catch(function (err) {
          if (id !== runId) return;
          summary.textContent = data("error");
          if (window.console) console.warn("policy compare:", err);
        })
        .then(function () {
          if (id !== runId) return;
          result.removeAttribute("aria-busy");
          if (focus) {
            title.focus({ preventScroll: true });
            result.scrollIntoView({ block: "start" });
          }
        });
    };

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var a = parseInt(fromSel.value, 10);
      var b = parseInt(toSel.value, 10);
      var url = new URL(location.href);
      url.searchParams.set("from", String(Math.min(a, b)));
      url.searchParams.set("to", String(Math.max(a, b)));
      url.hash = "compare";
      history.replaceState(null, "", url.href);
      run(a, b, true);
    });

    form.hidden = false;
    var params = new URLSearchParams(location.search);
    var qa = parseInt(params.get("from") || "", 10);
    var qb = parseInt(params.get("to") || "", 10);
    var valid = function (n) {
      return !isNaN(n) && fromSel.querySelector("option[value='" + n + "']") !== null;
    };
    if (valid(qa) && valid(qb)) {
      fromSel.value = String(Math.min(qa, qb));
      toSel.value = String(Math.max(qa, qb));
      run(qa, qb, false);
    }
  }

  // Exposed for tests and the console: the diff engine alone (no DOM needed for text diffs).
  window.policyDiff = { diffSegments: diffSegments, tokenize: tokenize, diffDocuments: diffDocuments };

  // Material's search dialog has no accessible name (axe-core: aria-dialog-name, serious);
  // give it the name of its own search field rather than copying Material's template.
  function nameSearchDialog() {
    var dialog = document.querySelector('.md-search[role="dialog"]');
    if (!dialog || dialog.hasAttribute("aria-label")) return;
    var input = dialog.querySelector(".md-search__input");
    var name = input && (input.getAttribute("aria-label") || input.getAttribute("placeholder"));
    dialog.setAttribute("aria-label", name || "Search");
  }

  // ----------------------------------------------------------------------------------
  // Labels that follow the calendar

  var MAX_TIMEOUT = 2147483647; // setTimeout's limit (about 24.8 days)
  var clockTimer = null;

  function instantOf(el, name) {
    var value = el.getAttribute(name);
    if (value === null) return null;
    var t = Date.parse(value);
    return isNaN(t) ? null : t;
  }

  function applyClock() {
    var now = Date.now();
    var next = Infinity;
    var timed = document.querySelectorAll("[data-policy-since], [data-policy-until]");
    for (var i = 0; i < timed.length; i++) {
      var el = timed[i];
      var since = instantOf(el, "data-policy-since");
      var until = instantOf(el, "data-policy-until");
      var on = (since === null || now >= since) && (until === null || now < until);
      var cls = el.getAttribute("data-policy-class");
      if (cls) el.classList.toggle(cls, on);
      else el.hidden = !on;
      if (since !== null && since > now) next = Math.min(next, since);
      if (until !== null && until > now) next = Math.min(next, until);
    }
    var fallbacks = document.querySelectorAll("[data-policy-nojs]");
    for (var j = 0; j < fallbacks.length; j++) fallbacks[j].hidden = true;
    if (clockTimer !== null) clearTimeout(clockTimer);
    clockTimer = next === Infinity ? null : setTimeout(applyClock, Math.min(next - now + 50, MAX_TIMEOUT));
  }

  function init() {
    applyClock();
    nameSearchDialog();
    var form = document.querySelector("form.policy-compare");
    if (form) setupCompare(form);
    if (changeAnchors().length) updateNavs();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
