/* The screen of a unit (/o/<code>/screen): rotating slides, touch, key and button navigation,
   a refresh every minute from screen.json (at once when the network comes back, and again ten
   seconds after a failed one), and the last content kept when the network drops — for an hour
   at most, saying how old it is. No build step; every word comes translated from
   the page (#screen-words). The page is readable without this script. */
(function () {
  "use strict";

  var root = document.documentElement;
  var slidesBox = document.getElementById("screen-slides");
  if (!slidesBox) { return; }
  var words = JSON.parse(document.getElementById("screen-words").textContent);
  var data = JSON.parse(document.getElementById("screen-data").textContent);
  var status = document.getElementById("screen-status");
  var expired = document.getElementById("screen-expired");
  var controls = document.getElementById("screen-controls");
  var position = document.getElementById("screen-position");
  var pauseButton = controls.querySelector("[data-go=pause]");
  var rtl = root.dir === "rtl";

  var current = 0;
  var paused = false;
  var rotateTimer = null;
  var resumeTimer = null;
  var retryTimer = null;
  var RETRY_MS = 10000;  // a failed refresh is tried again this soon, not a minute later
  var lastOk = performance.now();  // when the content on screen was fetched (monotonic clock)
  var clockOffset = Date.parse(data.generated_at) - Date.now();  // server time minus ours

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (m, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? values[key] : m;
    });
  }

  function counted(forms, n) {
    return fill(forms[n === 1 ? 0 : 1], { n: String(n) });
  }

  function parts(seconds) {
    return {
      days: Math.floor(seconds / 86400),
      hours: Math.floor((seconds % 86400) / 3600),
      minutes: Math.max(1, Math.floor((seconds % 3600) / 60))
    };
  }

  /* How old the content is: minutes, or hours past the first one. */
  function age(seconds) {
    var p = parts(seconds);
    var hours = p.days * 24 + p.hours;
    return hours ? counted(words.hours, hours) : counted(words.minutes, p.minutes);
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }

  function withLang(node, lang) {
    if (lang) {
      node.lang = lang;
      node.dir = lang === "ug" ? "rtl" : "ltr";
    }
    return node;
  }

  /* What is left of a notice period, in the words of the server's countdown (PUB-5). */
  function countdownText(endsAt) {
    var left = Math.floor((Date.parse(endsAt) - (Date.now() + clockOffset)) / 1000);
    if (left <= 0) { return words.ended; }
    var p = parts(left);
    if (p.days) {
      return fill(words.left_days, { days: counted(words.days, p.days), hours: counted(words.hours, p.hours) });
    }
    if (p.hours) { return fill(words.left_hours, { hours: counted(words.hours, p.hours) }); }
    return fill(words.left_minutes, { minutes: counted(words.minutes, p.minutes) });
  }

  /* Slides built from the JSON with text nodes only (never HTML from the network). */
  function buildSlide(s, n, total) {
    var article = el("article", "slide slide-" + s.kind);
    article.id = "slide-" + s.id;
    article.dataset.id = String(s.id);
    article.setAttribute("aria-roledescription", words.slide);
    article.setAttribute("aria-label", fill(words.position, { n: n, total: total }));
    var text = el("div", "slide-text");
    text.appendChild(el("p", "slide-kind", s.kind === "notice" ? words.notice : words.latest));
    var h2 = withLang(el("h2"), s.title_lang);
    var link = el("a", null, s.title);
    link.href = s.url;
    h2.appendChild(link);
    text.appendChild(h2);
    var meta = (s.unit ? s.unit + " · " : "") + fill(words.published, { date: s.published });
    text.appendChild(el("p", "slide-meta", meta));
    if (s.kind === "notice") {
      var p = el("p", "slide-countdown");
      var strong = el("strong", "countdown", countdownText(s.ends_at));
      strong.dataset.endsAt = s.ends_at;
      p.appendChild(strong);
      p.appendChild(document.createTextNode(" "));
      p.appendChild(el("span", "slide-ends", fill(words.ends, { end: s.ends })));
      text.appendChild(p);
    }
    if (s.text) { text.appendChild(withLang(el("p", "slide-body", s.text), s.text_lang)); }
    article.appendChild(text);
    var figure = el("figure", "slide-qr");
    var img = el("img");
    img.src = s.qr;
    img.alt = "";
    img.width = 240;
    img.height = 240;
    figure.appendChild(img);
    figure.appendChild(el("figcaption", null, words.scan));
    article.appendChild(figure);
    return article;
  }

  function slides() {
    return slidesBox.querySelectorAll(".slide");
  }

  function show(index, announce) {
    var all = slides();
    if (!all.length) {
      position.textContent = "";
      return;
    }
    current = (index + all.length) % all.length;
    for (var i = 0; i < all.length; i++) {
      all[i].classList.toggle("current", i === current);
      all[i].setAttribute("aria-hidden", i === current ? "false" : "true");
    }
    position.textContent = fill(words.position, { n: current + 1, total: all.length });
    slidesBox.setAttribute("aria-live", announce ? "polite" : "off");
  }

  function render(json) {
    var keep = slides()[current];
    var keepId = keep ? keep.dataset.id : null;
    slidesBox.textContent = "";
    if (!json.slides.length) {
      slidesBox.appendChild(el("p", "screen-empty", words.empty));
    }
    var index = 0;
    json.slides.forEach(function (s, i) {
      slidesBox.appendChild(buildSlide(s, i + 1, json.slides.length));
      if (String(s.id) === keepId) { index = i; }
    });
    show(index, false);
  }

  function schedule() {
    clearInterval(rotateTimer);
    rotateTimer = null;
    if (!paused) {
      rotateTimer = setInterval(function () { show(current + 1, false); }, data.rotate_seconds * 1000);
    }
    root.classList.toggle("screen-paused", paused);
    pauseButton.setAttribute("aria-pressed", paused ? "true" : "false");
    pauseButton.textContent = paused ? words.play : words.pause;
  }

  /* A person navigating holds the rotation for a while, then it goes on by itself. */
  function touched() {
    clearTimeout(resumeTimer);
    if (!paused) {
      clearInterval(rotateTimer);
      rotateTimer = null;
      resumeTimer = setTimeout(schedule, 60000);
    }
  }

  function go(step) {
    touched();
    show(current + step, true);
  }

  function togglePause() {
    clearTimeout(resumeTimer);
    paused = !paused;
    schedule();
  }

  function tick() {
    var nodes = slidesBox.querySelectorAll(".countdown[data-ends-at]");
    for (var i = 0; i < nodes.length; i++) {
      nodes[i].textContent = countdownText(nodes[i].dataset.endsAt);
    }
    var seconds = (performance.now() - lastOk) / 1000;
    var stale = seconds > data.stale_after_seconds;
    slidesBox.hidden = stale;
    controls.hidden = stale;
    expired.hidden = !stale;
    expired.textContent = stale ? words.expired : "";
    var offline = seconds > data.refresh_seconds * 2;
    root.classList.toggle("screen-offline", offline);
    if (offline) {
      status.textContent = fill(words.offline, { time: data.generated, age: age(seconds) });
    } else {
      status.textContent = fill(words.updated, { time: data.generated });
    }
  }

  function refresh() {
    clearTimeout(retryTimer);
    retryTimer = null;
    var url = slidesBox.dataset.json;
    fetch(url, { cache: "no-store", credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(function (json) {
        data = json;
        lastOk = performance.now();
        clockOffset = Date.parse(json.generated_at) - Date.now();
        render(json);
        tick();
      })
      .catch(function () {
        tick();  // keep what is on screen; tick() says how old it is
        if (retryTimer === null) { retryTimer = setTimeout(refresh, RETRY_MS); }
      });
  }

  root.classList.add("js");
  controls.hidden = false;
  controls.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-go]");
    if (!button) { return; }
    if (button.dataset.go === "pause") { togglePause(); } else { go(button.dataset.go === "next" ? 1 : -1); }
  });
  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey) { return; }
    var forward = rtl ? "ArrowLeft" : "ArrowRight";
    var back = rtl ? "ArrowRight" : "ArrowLeft";
    if (event.key === forward || event.key === "PageDown") { go(1); } else if (event.key === back || event.key === "PageUp") { go(-1); } else if (event.key === "Home") { touched(); show(0, true); } else if (event.key === "End") { touched(); show(-1, true); } else if (event.key === " " && event.target === document.body) { togglePause(); } else { return; }
    event.preventDefault();
  });
  var startX = null;
  slidesBox.addEventListener("pointerdown", function (event) { startX = event.clientX; });
  slidesBox.addEventListener("pointerup", function (event) {
    if (startX === null) { return; }
    var dx = event.clientX - startX;
    startX = null;
    if (Math.abs(dx) < 50) { return; }
    var towardsStart = rtl ? dx > 0 : dx < 0;  // a swipe towards the start of the line: next
    go(towardsStart ? 1 : -1);
  });

  show(0, false);
  schedule();
  tick();
  setInterval(tick, 30000);
  setInterval(refresh, data.refresh_seconds * 1000);
  window.addEventListener("online", refresh);
}());
