/*
 * Policy site: "which version was in force on a day, and which was published on it", on a history
 * page (loaded there only). The page works without it: the table of ranges
 * (partials/policy-in-force.html) answers the same question; this shows its date field.
 *
 * The rule is policykit/pages/on_date.py's, and tests/test_in_force_on.py checks that both agree:
 *   - a day D is a calendar day in the site's timezone (the form's data-timezone);
 *   - the version in force on D is the one in force at the end of D: day(starts) <= D < day(ends)
 *     (no upper bound without data-ends). A version that takes effect during D (00:00 for an
 *     effective date, its publication time without one) is the answer for D;
 *   - published on D: day(published) = D;
 *   - in force during D (at some moment of it): day(starts) <= D <= day(last), where data-last is the last
 *     second in force, for a version in force at all (ends after starts).
 * The build writes every instant (the rows' data-starts, data-ends, data-published) in the site's
 * timezone, so an instant's first ten characters are its calendar day there: no timezone arithmetic
 * here, and the reader's own timezone plays no part.
 *
 * The answer can be shared: ?on=YYYY-MM-DD in the query (as the compare's ?from=&to=), which leaves the
 * fragment to the page's anchors (#v3, #compare, #change-N); opening such a URL shows the answer.
 *
 * The core (answer, isDay) also runs in node: module.exports (tests/js/in_force_core.cjs).
 * Written for a strict Content-Security-Policy: no inline handlers, no eval, nodes built with DOM APIs.
 */
(function (global) {
  "use strict";

  var DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

  /** "YYYY-MM-DD" naming a real calendar day. */
  function isDay(text) {
    var m = DAY.exec(String(text || ""));
    if (!m) return false;
    var d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3]));
    return d.getUTCFullYear() === +m[1] && d.getUTCMonth() === +m[2] - 1 && d.getUTCDate() === +m[3];
  }

  /** The calendar day of an ISO instant written in the site's timezone. */
  function dayOf(iso) {
    return iso ? String(iso).slice(0, 10) : null;
  }

  /** rows: [{number, starts, ends (or null), last (or null), published}]; day: "YYYY-MM-DD".
   *  inForce: the number in force on the day (or null); published: numbers published on it;
   *  during: numbers in force at some moment of it, in the order they were in force. */
  function answer(rows, day) {
    var inForce = null;
    var published = [];
    var during = [];
    for (var i = 0; i < rows.length; i++) {
      var r = rows[i];
      if (inForce === null && dayOf(r.starts) <= day && (!r.ends || day < dayOf(r.ends))) inForce = r.number;
      if (dayOf(r.published) === day) published.push(r.number);
      var ever = !r.ends || Date.parse(r.ends) > Date.parse(r.starts);
      if (ever && dayOf(r.starts) <= day && (!r.last || day <= dayOf(r.last))) during.push(r);
    }
    published.sort(function (a, b) {
      return a - b;
    });
    during.sort(function (a, b) {
      return Date.parse(a.starts) - Date.parse(b.starts);
    });
    return { inForce: inForce, published: published, during: during.map(function (r) {
      return r.number;
    }) };
  }

  var api = { answer: answer, isDay: isDay, dayOf: dayOf };
  if (typeof module === "object" && module.exports) {
    module.exports = api;
    return;
  }
  global.policyInForce = api;

  // ----------------------------------------------------------------------------------
  // The date field

  /** A template's text with {name} replaced by strings or nodes, as a list of nodes. */
  function fill(template, values) {
    var out = [];
    var re = /\{(\w+)\}/g;
    var last = 0;
    var m;
    template = String(template || "");
    while ((m = re.exec(template)) !== null) {
      if (m.index > last) out.push(document.createTextNode(template.slice(last, m.index)));
      var v = Object.prototype.hasOwnProperty.call(values, m[1]) ? values[m[1]] : m[0];
      if (Array.isArray(v)) out.push.apply(out, v);
      else out.push(typeof v === "string" ? document.createTextNode(v) : v);
      last = re.lastIndex;
    }
    if (last < template.length) out.push(document.createTextNode(template.slice(last)));
    return out;
  }

  function paragraph(cls, nodes) {
    var p = document.createElement("p");
    p.className = cls;
    for (var i = 0; i < nodes.length; i++) p.appendChild(nodes[i]);
    return p;
  }

  function link(href, text, cls) {
    var a = document.createElement("a");
    a.href = href;
    a.textContent = text;
    if (cls) a.className = cls;
    return a;
  }

  /** The day as the page's language writes dates ("2023年3月1日", "March 1, 2023"). */
  function displayDay(day) {
    var m = DAY.exec(day);
    try {
      var lang = document.documentElement.lang || undefined;
      return new Intl.DateTimeFormat(lang, { dateStyle: "long", timeZone: "UTC" }).format(
        new Date(Date.UTC(+m[1], +m[2] - 1, +m[3]))
      );
    } catch (e) {
      return day;
    }
  }

  /** Today's calendar day in the site's timezone (the reader's own zone when the browser lacks it). */
  function today(tz) {
    var now = new Date();
    try {
      var parts = new Intl.DateTimeFormat("en-CA", {
        timeZone: tz, year: "numeric", month: "2-digit", day: "2-digit",
      }).formatToParts(now);
      var get = function (type) {
        for (var i = 0; i < parts.length; i++) if (parts[i].type === type) return parts[i].value;
        return "";
      };
      return get("year") + "-" + get("month") + "-" + get("day");
    } catch (e) {
      var pad = function (n) {
        return (n < 10 ? "0" : "") + n;
      };
      return now.getFullYear() + "-" + pad(now.getMonth() + 1) + "-" + pad(now.getDate());
    }
  }

  function setup(form) {
    var section = form.closest(".policy-in-force") || document;
    var out = section.querySelector(".policy-on-date__answer");
    var input = form.querySelector("input[name='on']");
    var trs = section.querySelectorAll("table.policy-ranges tbody tr[data-number]");
    if (!out || !input || !trs.length) return;
    var rows = [];
    var byNumber = {};
    for (var i = 0; i < trs.length; i++) {
      var tr = trs[i];
      var row = {
        number: parseInt(tr.getAttribute("data-number"), 10),
        starts: tr.getAttribute("data-starts"),
        ends: tr.getAttribute("data-ends"),
        last: tr.getAttribute("data-last"),
        published: tr.getAttribute("data-published"),
        tr: tr,
      };
      rows.push(row);
      byNumber[row.number] = row;
    }
    rows.sort(function (a, b) {
      return a.number - b.number;
    });
    var data = function (name) {
      return form.getAttribute("data-" + name) || "";
    };

    /** "Version 3 (in force from …) · Changes from the version before", linked. */
    function versionNodes(number) {
      var tr = byNumber[number].tr;
      var a = tr.querySelector("a.policy-ranges__version");
      var nodes = [link(a.getAttribute("href"), a.textContent, "policy-on-date__version")];
      var from = tr.querySelector(".policy-ranges__from");
      if (from && from.hasAttribute("data-never")) {
        nodes.push(document.createTextNode(" · " + data("never")));
      } else if (from) {
        nodes.push.apply(nodes, fill(data("from"), { start: from.textContent.trim() }));
      }
      var changes = a.getAttribute("data-changes-href");
      if (changes) {
        nodes.push(document.createTextNode(" · "));
        nodes.push(link(changes, data("changes"), "policy-on-date__changes"));
      }
      return nodes;
    }

    function show(day) {
      var got = answer(rows, day);
      var date = displayDay(day);
      while (out.firstChild) out.removeChild(out.firstChild);
      if (got.inForce !== null) {
        out.appendChild(paragraph("policy-on-date__in-force", fill(data("in-force"), { date: date, version: versionNodes(got.inForce) })));
      } else {
        var retired = form.getAttribute("data-retired");
        var after = retired && day >= dayOf(retired);
        out.appendChild(paragraph("policy-on-date__in-force policy-on-date__none",
          fill(data(after ? "none-retired" : "none-before"), { date: date, retired: data("retired-text") })));
      }
      var earlier = got.during.filter(function (n) {
        return n !== got.inForce;
      });
      if (earlier.length) {
        var before = [];
        for (var k = 0; k < earlier.length; k++) {
          if (k) before.push(document.createTextNode("; "));
          before.push.apply(before, versionNodes(earlier[k]));
        }
        out.appendChild(paragraph("policy-on-date__earlier", fill(data("earlier"), { date: date, versions: before })));
      }
      if (got.published.length) {
        var list = [];
        for (var i = 0; i < got.published.length; i++) {
          if (i) list.push(document.createTextNode("; "));
          list.push.apply(list, versionNodes(got.published[i]));
        }
        out.appendChild(paragraph("policy-on-date__published", fill(data("published"), { date: date, versions: list })));
      } else {
        out.appendChild(paragraph("policy-on-date__published policy-on-date__none", fill(data("published-none"), { date: date })));
      }
      if (day > today(data("timezone"))) {
        out.appendChild(paragraph("policy-on-date__future", fill(data("future"), { date: date })));
      }
      var url = new URL(location.href);
      url.searchParams.set("on", day);
      out.appendChild(paragraph("policy-on-date__share", [link(url.pathname + url.search + url.hash, data("share"), "policy-on-date__link")]));
      out.hidden = false;
      return url;
    }

    function submit(event) {
      if (event) event.preventDefault();
      var day = input.value;
      if (!isDay(day)) return;
      var url = show(day);
      history.replaceState(null, "", url.href);
    }

    form.addEventListener("submit", submit);
    input.addEventListener("change", function () {
      submit(null);
    });
    form.hidden = false;
    var asked = new URLSearchParams(location.search).get("on");
    if (isDay(asked)) {
      input.value = asked;
      show(asked);
    }
  }

  function init() {
    var form = document.querySelector("form.policy-on-date");
    if (form) setup(form);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})(this);
