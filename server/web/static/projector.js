// The projector page (templates/projector.html): polls the rotating code, shows the live
// counts, keeps a clock. A file of its own: the page's Content-Security-Policy allows no
// inline script.
(function () {
  "use strict";
  var body = document.body;
  var id = body.dataset.activityId;
  var token = body.dataset.token;
  var rotate = parseInt(body.dataset.rotateSeconds, 10) || 15;
  var q = "t=" + encodeURIComponent(token);
  var img = document.getElementById("code");
  var placeholder = document.getElementById("code-placeholder");
  var bar = document.getElementById("bar");
  var statusLine = document.getElementById("status");
  var currentStep = null;
  var stopped = false;

  function say(text, bad) {
    statusLine.textContent = text || "";
    statusLine.className = bad ? "status bad" : "status";
  }

  function showImage(url) {
    var next = new Image();
    next.onload = function () {
      img.src = next.src;
      img.hidden = false;
      if (placeholder) { placeholder.hidden = true; }
    };
    next.onerror = function () { currentStep = null; say("签到码图片加载失败，正在重试…", true); };
    next.src = url;
  }

  function countdown(seconds) {
    if (!bar) { return; }
    bar.style.transition = "none";
    bar.style.width = Math.max(0, Math.min(100, seconds / rotate * 100)) + "%";
    bar.getBoundingClientRect();
    bar.style.transition = "width " + seconds + "s linear";
    bar.style.width = "0%";
  }

  // Polling is the code's lifeline: it goes on whatever happens to the live counts.
  function poll() {
    if (stopped || !img) { return; }
    var delay = 3000;
    fetch("/api/v1/activities/" + id + "/rotating-code?" + q, {cache: "no-store"})
      .then(function (resp) {
        return resp.json().then(function (data) { return {ok: resp.ok, status: resp.status, data: data}; });
      })
      .then(function (r) {
        if (!r.ok) {
          say((r.data && r.data.message) || "签到码暂时无法获取，正在重试…", true);
          if (r.status === 401 || r.status === 403) { stopped = true; }
          if (r.status === 409) { delay = 30000; }
          return;
        }
        var d = r.data;
        if (d.step !== currentStep) {
          currentStep = d.step;
          showImage(d.image_url);
          countdown(d.expires_in);
        }
        if (statusLine.className === "status bad") { say(""); }
        if (!d.checkin_open) { say("当前不在签到时间内，签到码仅供预览"); }
        delay = Math.min(3000, Math.max(300, d.expires_in * 1000 + 150));
      })
      .catch(function () { say("网络异常，正在重试…", true); })
      .then(function () { if (!stopped) { setTimeout(poll, delay); } });
  }

  var backoff = 2000;
  function setCount(name, value) {
    var el = document.getElementById(name);
    if (el && typeof value === "number") { el.textContent = value; }
  }
  function live() {
    if (!window.EventSource) { return; }
    var source;
    try { source = new EventSource("/api/v1/activities/" + id + "/live?" + q); }
    catch (e) { return; }
    source.addEventListener("counts", function (ev) {
      backoff = 2000;
      try {
        var c = JSON.parse(ev.data);
        ["expected", "checked_in", "late", "absent"].forEach(function (k) { setCount(k, c[k]); });
      } catch (e) { /* a malformed event changes nothing on screen */ }
    });
    source.onerror = function () {
      // The browser retries a dropped stream itself; a refused one we retry, more slowly.
      if (source.readyState === EventSource.CLOSED) {
        source.close();
        setTimeout(live, backoff);
        backoff = Math.min(backoff * 2, 60000);
      }
    };
  }

  function tick() {
    var d = new Date();
    function two(n) { return (n < 10 ? "0" : "") + n; }
    document.getElementById("clock").textContent =
      two(d.getHours()) + ":" + two(d.getMinutes()) + ":" + two(d.getSeconds());
  }
  document.getElementById("fullscreen").addEventListener("click", function () {
    var el = document.documentElement;
    if (document.fullscreenElement) { document.exitFullscreen(); }
    else if (el.requestFullscreen) { el.requestFullscreen(); }
  });

  tick();
  setInterval(tick, 1000);
  poll();
  live();
})();
