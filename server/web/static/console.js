// 送教通 管理后台: the small script layer (no build step). Forms post normally; this adds
// the scan login, the live board, confirmations and fetch calls with the CSRF header.
"use strict";
(function () {
  const csrf = () => document.querySelector('meta[name="csrf-token"]').content;

  async function call(url, options) {
    const opts = Object.assign({ credentials: "same-origin" }, options || {});
    opts.headers = Object.assign({ Accept: "application/json", "X-CSRF-Token": csrf() }, opts.headers || {});
    const resp = await fetch(url, opts);
    let body = {};
    try { body = await resp.json(); } catch (e) { body = {}; }
    if (!resp.ok) throw new Error(body.message || "操作失败，请稍后重试");
    return body;
  }
  window.sjtCall = call;

  // Forms whose button asks first: <form data-confirm="确定……？">
  document.addEventListener("submit", (event) => {
    const text = event.target.getAttribute("data-confirm");
    if (text && !window.confirm(text)) event.preventDefault();
  });

  // ---- scan login -------------------------------------------------------------------------
  const panel = document.getElementById("scan-panel");
  if (panel) {
    const img = document.getElementById("scan-qr");
    const state = document.getElementById("scan-state");
    const again = document.getElementById("scan-refresh");
    let timer = null;
    const start = async () => {
      again.hidden = true;
      state.textContent = "正在生成登录码……";
      try {
        const code = await call(panel.dataset.prefix + "/login/scan", { method: "POST" });
        img.src = code.qr;
        img.hidden = false;
        img.dataset.token = code.token;
        state.textContent = "请用小程序扫码，并在手机上确认登录（2 分钟内有效）";
        const next = encodeURIComponent(panel.dataset.next || "");
        timer = setInterval(async () => {
          try {
            const got = await call(panel.dataset.prefix + "/login/scan/" + code.token + "?next=" + next);
            if (got.state === "confirmed") {
              clearInterval(timer);
              state.textContent = "已确认，正在进入……";
              window.location.assign(got.next);
            } else if (got.state === "expired") {
              clearInterval(timer);
              img.hidden = true;
              state.textContent = "登录码已过期";
              again.hidden = false;
            }
          } catch (e) { state.textContent = e.message; }
        }, 2000);
      } catch (e) {
        state.textContent = e.message;
        again.hidden = false;
      }
    };
    again.addEventListener("click", start);
    start();
  }

  // ---- activity form: the venue follows the chosen host (its stored address, coordinates) --
  const host = document.getElementById("host-choice");
  if (host && host.form) {
    host.addEventListener("change", () => {
      const chosen = host.options[host.selectedIndex];
      for (const name of ["address", "lat", "lng"]) {
        const field = host.form.elements[name];
        if (field) field.value = chosen.dataset[name] || "";
      }
    });
  }

  // ---- live board -------------------------------------------------------------------------
  const board = document.getElementById("live-board");
  if (board && window.EventSource) {
    const set = (name, value) => {
      const el = board.querySelector('[data-count="' + name + '"]');
      if (el && value !== undefined) el.textContent = value;
    };
    const list = document.getElementById("live-list");
    const source = new EventSource(board.dataset.stream);
    source.addEventListener("counts", (e) => {
      const c = JSON.parse(e.data);
      for (const name of ["expected", "checked_in", "absent", "late", "flagged"]) set(name, c[name]);
      board.dataset.checkedIn = String(c.checked_in);
    });
    source.addEventListener("checkin", (e) => {
      if (!list) return;
      const c = JSON.parse(e.data);
      const li = document.createElement("li");
      li.textContent = (c.change === "annulled" ? "已作废：" : "已签到：") + c.name;
      list.prepend(li);
    });
    source.onerror = () => { board.querySelector(".live-state").textContent = "连接中断，正在重连……"; };
    source.onopen = () => { board.querySelector(".live-state").textContent = "实时更新中"; };
  }
  // ---- a batch of 学时证明: progress while the PDF is made, then the download --------------
  const certJob = document.getElementById("certificate-job");
  if (certJob && certJob.dataset.running === "yes") {
    const bar = document.getElementById("job-progress");
    const labels = { queued: "排队中", running: "正在生成", done: "已完成", failed: "失败" };
    const timer = setInterval(async () => {
      try {
        const job = await call(certJob.dataset.url);
        bar.max = job.total || 1;
        bar.value = job.done;
        document.getElementById("job-count").textContent = job.done + "/" + job.total;
        document.getElementById("job-percent").textContent = job.percent;
        document.getElementById("job-status").textContent = labels[job.status] || job.status;
        if (job.status === "done" || job.status === "failed") {
          clearInterval(timer);
          const summary = document.getElementById("job-summary");
          summary.textContent = job.error || (job.result && job.result.summary) || "";
          summary.className = job.status === "failed" ? "error" : "ok";
          document.getElementById("job-download").hidden = job.status !== "done";
        }
      } catch (e) { document.getElementById("job-summary").textContent = e.message; }
    }, 1000);
  }
})();
