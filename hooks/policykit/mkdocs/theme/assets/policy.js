/*
 * Policy site: reader features that need JavaScript. Every page works without it.
 *
 * 1. Change navigation on version pages (and on a compare result): the
 *    "previous / next change" control (partials/policy-change-nav.html) and
 *    the keys n / j (next) and p / k (previous). Moving sets the URL hash to
 *    #change-N (so :target styles apply and the address can be shared), moves
 *    focus to the changed block and announces "change N of M".
 * 2. Compare any two versions on a history page: assets/policy-compare.js,
 *    loaded on history pages only, with the same diff as the build; it calls
 *    window.policyNav.update to set up the change navigation on its result.
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

  // Used by assets/policy-compare.js (history pages only) to set up the change navigation on its result.
  window.policyNav = { update: updateNavs };

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
    if (changeAnchors().length) updateNavs();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
