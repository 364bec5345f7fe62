/*
 * Policy site: compare any two versions on a history page (loaded only there, after
 * assets/diff-match-patch.js and assets/policy.js). Every page works without it.
 *
 * The two version pages (../versions/N/, same origin) are fetched, their clean text
 * (<section id="clean">) parsed with DOMParser and diffed with the algorithm of the build-time
 * diff (hooks/policykit/diff/htmldiff.py, blocks.py, textdiff.py), step for step:
 *   - blocks (headings, paragraphs, each li, each tr, whole pre) are aligned by identity key
 *     with diff-match-patch (no cleanup), moved blocks detected, removed and added blocks
 *     paired by similarity (segment.units, diff-match-patch);
 *   - paired blocks are diffed word by word. The words are NOT found here: each version page
 *     carries the build's token boundaries (OpenCC + jieba for Chinese) as data-policy-tokens
 *     on its clean section (policykit/diff/tokendata.py: token lengths in UTF-16 code units per
 *     text node, one character each), and the tokens are aligned with diff-match-patch, Diff_Timeout = 0 and
 *     semantic cleanup, as the build's fast-diff-match-patch call does, then slid to word and
 *     text-node boundaries as textdiff._slide_to_boundaries does.
 * So the browser's diff of two consecutive versions is the version page's own diff, and any
 * other pair is what the build would give.
 * The markup (ins/del with sr-only text, diff-changed/-added/-removed/-moved classes,
 * span.diff-anchor #change-N) is the same as on the version pages.
 *
 * The diff core (no DOM) also runs in node: module.exports = { diffSegments, units, encode, ... }
 * (tests/js/compare_core.cjs uses it).
 *
 * Written for a strict Content-Security-Policy: no inline handlers, no eval, no string-to-HTML
 * parsing of page text into this document, no request leaves the site.
 */
(function (global) {
  "use strict";

  var DiffMatchPatch =
    typeof module === "object" && module.exports ? require("./diff-match-patch.js") : global.diff_match_patch;

  function format(template, values) {
    return String(template || "").replace(/\{(\w+)\}/g, function (all, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : all;
    });
  }

  // ----------------------------------------------------------------------------------
  // Diff core: tokens from the build, diff-match-patch (mirrors hooks/policykit/diff/textdiff.py)

  var EQ = 0;
  var DEL = -1;
  var INS = 1;

  /** A diff_match_patch set up as the build's fast-diff-match-patch call: no time limit. */
  function newDmp() {
    var dmp = new DiffMatchPatch();
    dmp.Diff_Timeout = 0; // timelimit=0: exact, and no half-match shortcut
    return dmp;
  }

  // The i-th distinct item becomes one UTF-16 code unit ("lines to chars"). The first 0x1900 are
  // U+E000… as in textdiff._code_point; beyond, the build uses characters outside the BMP (two code
  // units here), so other single code units that diff-match-patch classes alike (not ASCII
  // alphanumeric, not whitespace, not a line break) stand in for them: the diff depends only on
  // which items are equal, and on those classes.
  var extraUnits = null;
  function codeUnit(i) {
    if (i < 0x1900) return String.fromCharCode(0xe000 + i);
    if (extraUnits === null) {
      extraUnits = [];
      for (var c = 0x100; c < 0x10000; c++) {
        if (c >= 0xe000 && c < 0xe000 + 0x1900) continue;
        var ch = String.fromCharCode(c);
        if (!/\s/.test(ch)) extraUnits.push(ch);
      }
    }
    i -= 0x1900;
    if (i < extraUnits.length) return extraUnits[i];
    throw new Error("too many distinct tokens to diff");
  }

  /** Map each distinct item (string or number) of a and b to one code unit, in order of first use. */
  function encode(a, b) {
    var table = new Map();
    var out = [];
    [a, b].forEach(function (seq) {
      var chars = [];
      for (var i = 0; i < seq.length; i++) {
        var c = table.get(seq[i]);
        if (c === undefined) {
          c = codeUnit(table.size);
          table.set(seq[i], c);
        }
        chars.push(c);
      }
      out.push(chars.join(""));
    });
    return out;
  }

  /** diff-match-patch on two encoded strings as [op, length] pairs ("No" or "Semantic" cleanup). */
  function dmpCounts(ca, cb, cleanup) {
    var dmp = newDmp();
    var diffs = dmp.diff_main(ca, cb, false);
    if (cleanup === "Semantic") dmp.diff_cleanupSemantic(diffs);
    return diffs.map(function (d) {
      return [d[0], d[1].length];
    });
  }

  function joined(tokens) {
    return tokens.join("");
  }

  // Python's str.isalnum() / "_" and str.isspace(), on one code point.
  var WORD = /^[\p{L}\p{N}_]$/u;
  var PY_SPACE = /^[\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]$/;

  /** Not empty after Python's str.strip() (blocks.py / htmldiff.py test text that way). */
  function hasText(s) {
    return /[^\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/.test(s);
  }

  function isWord(ch) {
    return !!ch && WORD.test(ch);
  }

  function lastChar(s) {
    var n = s.length;
    if (n > 1) {
      var lo = s.charCodeAt(n - 1);
      var hi = s.charCodeAt(n - 2);
      if (lo >= 0xdc00 && lo <= 0xdfff && hi >= 0xd800 && hi <= 0xdbff) return s.slice(n - 2);
    }
    return s.slice(n - 1);
  }

  function firstChar(s) {
    return String.fromCodePoint(s.codePointAt(0));
  }

  /** textdiff._boundary_score on code points. */
  function boundaryScore(left, right) {
    if (!left || !right) return 6;
    var x = lastChar(left);
    var y = firstChar(right);
    if (x === "\n" || y === "\n") return 4;
    if ("。！？；.!?;".indexOf(x) >= 0) return 3;
    if (PY_SPACE.test(x) || PY_SPACE.test(y)) return 2;
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

  /** textdiff._diff_tokens: token lists diffed with semantic cleanup, then slid to boundaries. */
  function diffTokens(a, b, bounds) {
    if (!a.length && !b.length) return [];
    var enc = encode(a, b);
    var ops = [];
    var i = 0;
    var j = 0;
    dmpCounts(enc[0], enc[1], "Semantic").forEach(function (d) {
      var n = d[1];
      if (d[0] === EQ) {
        ops.push([EQ, b.slice(j, j + n)]);
        i += n;
        j += n;
      } else if (d[0] === DEL) {
        ops.push([DEL, a.slice(i, i + n)]);
        i += n;
      } else {
        ops.push([INS, b.slice(j, j + n)]);
        j += n;
      }
    });
    slideToBoundaries(ops, bounds, "", "");
    var out = [];
    for (var k = 0; k < ops.length; k++) {
      if (ops[k][1].length) out.push([ops[k][0], joined(ops[k][1])]);
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

  // tokendata.DIGITS: one character per token length 1…61; longer tokens are written .<decimal>.
  var TOKEN_DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

  /** Parse data-policy-tokens (policykit/diff/tokendata.py): one array of token lengths per text node. */
  function parseTokenData(attr) {
    if (attr === null || attr === undefined) throw new Error("version page has no token data");
    var fields = attr.split(";");
    if (fields.pop() !== "") throw new Error("token data is cut short");
    return fields.map(function (field) {
      var lens = [];
      for (var i = 0; i < field.length; i++) {
        if (field[i] === ".") {
          var end = field.indexOf(".", i + 1);
          if (end < 0) throw new Error("bad token data");
          lens.push(parseInt(field.slice(i + 1, end), 10));
          i = end;
        } else {
          var n = TOKEN_DIGITS.indexOf(field[i]);
          if (n < 1) throw new Error("bad token data");
          lens.push(n);
        }
      }
      return lens;
    });
  }

  /** Cut text into the tokens the build found (lengths in UTF-16 code units). */
  function tokensOf(text, lens) {
    var out = [];
    var pos = 0;
    for (var i = 0; i < lens.length; i++) {
      out.push(text.slice(pos, pos + lens[i]));
      pos += lens[i];
    }
    if (pos !== text.length || !lens.every(function (n) { return n > 0; })) {
      throw new Error("token data does not match the text");
    }
    return out;
  }

  /**
   * textdiff.diff_segments: word-level diff of two texts given as text nodes (strings) and each
   * node's token lengths (from the build): [[op, text]].
   */
  function diffSegments(oldSegs, newSegs, oldLens, newLens) {
    var old = oldSegs.join("");
    var neu = newSegs.join("");
    if (old === neu) return neu ? [[EQ, neu]] : [];
    var bounds = new Set();
    var acc = 0;
    for (var i = 0; i < newSegs.length - 1; i++) {
      acc += newSegs[i].length;
      bounds.add(acc);
    }
    var a = [];
    var b = [];
    oldSegs.forEach(function (s, k) {
      a.push.apply(a, tokensOf(s, oldLens[k]));
    });
    newSegs.forEach(function (s, k) {
      b.push.apply(b, tokensOf(s, newLens[k]));
    });
    return mergeTextOps(diffTokens(a, b, bounds));
  }

  // segment.units: single Han characters, runs of other word characters, single punctuation marks.
  var UNIT = /[\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u{20000}-\u{3134f}]|(?:(?![\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u{20000}-\u{3134f}])[\p{L}\p{N}_])+|(?![\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000])[^\p{L}\p{N}_]/gu;

  function units(text) {
    return text.match(UNIT) || [];
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
        return (c.nodeType === 3 && !hasText(c.data)) || (c.nodeType !== 1 && c.nodeType !== 3);
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
        return c.nodeType !== 3 || hasText(c.data);
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
    // htmldiff._similarity: Dice coefficient of the units the two texts share in order
    if (!a.units) a.units = units(a.text);
    if (!b.units) b.units = units(b.text);
    var ua = a.units;
    var ub = b.units;
    var la = ua.length;
    var lb = ub.length;
    if (!la && !lb) return 1;
    if (!la || !lb || (2 * Math.min(la, lb)) / (la + lb) < PAIR_THRESHOLD) return 0;
    var enc = encode(ua, ub);
    var eq = 0;
    dmpCounts(enc[0], enc[1], "No").forEach(function (d) {
      if (d[0] === EQ) eq += d[1];
    });
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
    var enc = encode(ka, kb);
    var ia = 0;
    var ib = 0;
    dmpCounts(enc[0], enc[1], "No").forEach(function (d) {
      for (var k = 0; k < d[1]; k++) {
        if (d[0] === EQ) seq.push(["=", ia++, ib++]);
        else if (d[0] === DEL) seq.push(["-", ia++, -1]);
        else seq.push(["+", -1, ib++]);
      }
    });
    var addedByKey = new Map();
    seq.forEach(function (s) {
      if (s[0] === "+" && hasText(neu[s[2]].text)) {
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
      if (cands && k < cands.length && hasText(old[s[1]].text)) {
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
      var ops = diffSegments(slot[1].map(function (s) { return s.data; }), slot[2].map(function (s) { return s.data; }),
        slot[1].map(tokenLengths), slot[2].map(tokenLengths));
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

  // The build's token lengths of each text node (the same blocks and text nodes, in the same order).
  var TOKENS = new WeakMap();

  function attachTokens(blocks, attr) {
    var fields = parseTokenData(attr);
    var k = 0;
    blocks.forEach(function (block) {
      block.segs.forEach(function (seg) {
        if (k >= fields.length) throw new Error("token data covers fewer text nodes than the page has");
        TOKENS.set(seg, fields[k++]);
      });
    });
    if (k !== fields.length) throw new Error("token data covers more text nodes than the page has");
  }

  function tokenLengths(seg) {
    var lens = TOKENS.get(seg);
    if (lens === undefined) throw new Error("no token data for a text node");
    return lens;
  }

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
    attachTokens(oldBlocks, oldSection.getAttribute("data-policy-tokens"));
    attachTokens(newBlocks, newSection.getAttribute("data-policy-tokens"));
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
      if (from === to) {
        // the same version on both sides: say so, under the version's own name (no "changes from vN to vN")
        title.textContent = versionLabel(from);
        summary.textContent = format(data("same"), { version: versionLabel(from) });
        result.removeAttribute("aria-busy");
        return Promise.resolve();
      }
      title.textContent = data("result").replace("{from}", versionLabel(from)).replace("{to}", versionLabel(to));
      summary.textContent = data("loading");
      result.setAttribute("aria-busy", "true");
      return Promise.all([load(from), load(to)])
        .then(function (docs) {
          if (id !== runId) return;
          var diff = diffDocuments(docs[0], docs[1], labels, lang);
          var s = diff.summary;
          summary.textContent = format(data("summary"), s);
          body.appendChild(diff.node);
          if (window.policyNav) window.policyNav.update(-1);
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

  var api = {
    diffSegments: diffSegments,
    units: units,
    encode: encode,
    dmpCounts: dmpCounts,
    parseTokenData: parseTokenData,
  };

  if (typeof module === "object" && module.exports) {
    module.exports = api;
    return;
  }

  // Exposed for tests and the console: the diff engine alone and the document diff.
  api.diffDocuments = diffDocuments;
  global.policyDiff = api;

  function init() {
    var form = document.querySelector("form.policy-compare");
    if (form) setupCompare(form);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})(this);
