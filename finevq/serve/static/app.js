/* finevq's page: renders one Assessment (radar, timeline, tags, description) and, on the
 * live page, uploads a video and follows its job. The static report (`finevq report`)
 * inlines this same file with the assessment as JSON, so both views can never drift.
 * Everything is built with DOM calls and textContent: the assessment's strings (file
 * names, descriptions) never become markup. */
(function () {
  "use strict";

  var SVG_NS = "http://www.w3.org/2000/svg";
  var DIMENSIONS = ["color", "noise", "artifact", "blur", "temporal", "overall"];
  var LABELS = { color: "Color", noise: "Noise", artifact: "Artifact", blur: "Blur", temporal: "Temporal", overall: "Overall" };
  var SEVERITY_INDEX = { slight: 1, mild: 2, strong: 3, severe: 4 };
  var EVENT_LABELS = { stall: "stall", freeze: "freeze", shake: "shake", flicker: "flicker", drop: "dropped frames", scene_cut: "scene cut" };

  /* ---------- small builders ---------- */

  function html(tag, attrs, children) {
    var node = document.createElement(tag);
    setAttributes(node, attrs);
    append(node, children);
    return node;
  }

  function svg(tag, attrs, children) {
    var node = document.createElementNS(SVG_NS, tag);
    setAttributes(node, attrs);
    append(node, children);
    return node;
  }

  function setAttributes(node, attrs) {
    Object.keys(attrs || {}).forEach(function (name) {
      if (attrs[name] !== null && attrs[name] !== undefined) node.setAttribute(name, String(attrs[name]));
    });
  }

  function append(node, children) {
    [].concat(children === undefined ? [] : children).forEach(function (child) {
      if (child === null || child === undefined || child === false) return;
      node.appendChild(typeof child === "string" || typeof child === "number" ? document.createTextNode(String(child)) : child);
    });
  }

  function tooltip(text) {
    return svg("title", {}, text);
  }

  /* The same 20-point bands as finevq.taxonomy.level_index: 0 is the best level, 4 the worst. */
  function levelIndex(score) {
    return Math.min(4, Math.max(0, Math.floor((100 - score) / 20)));
  }

  function round(value, digits) {
    var factor = Math.pow(10, digits || 0);
    return Math.round(value * factor) / factor;
  }

  function seconds(value) {
    return round(value, value < 10 ? 1 : 0) + " s";
  }

  /* ---------- radar: six axes, one polygon ---------- */

  function radar(dimensions, mostImpactful) {
    var cx = 250, cy = 228, radius = 150;
    function point(index, value) {
      var angle = (-90 + index * 60) * Math.PI / 180;
      var r = radius * Math.max(value, 1.5) / 100;
      return [round(cx + r * Math.cos(angle), 1), round(cy + r * Math.sin(angle), 1)];
    }
    function polygon(value) {
      return DIMENSIONS.map(function (dim, i) { return point(i, typeof value === "number" ? value : value[dim].score).join(","); }).join(" ");
    }
    var chart = svg("svg", { "class": "radar", viewBox: "0 0 500 450", role: "img", "aria-label": "scores of the six dimensions" });
    [100, 80, 60, 40, 20].forEach(function (value) {
      chart.appendChild(svg("polygon", { "class": "ring ring-" + value, points: polygon(value) }));
      chart.appendChild(svg("text", { "class": "ring-label", x: cx + 5, y: round(cy - radius * value / 100 + 12, 1) }, String(value)));
    });
    DIMENSIONS.forEach(function (dim, i) {
      var end = point(i, 100);
      chart.appendChild(svg("line", { "class": "axis", "data-dimension": dim, x1: cx, y1: cy, x2: end[0], y2: end[1] }));
    });
    chart.appendChild(svg("polygon", { "class": "scores", points: polygon(dimensions) }));
    DIMENSIONS.forEach(function (dim, i) {
      var result = dimensions[dim], level = levelIndex(result.score), at = point(i, result.score), label = point(i, 112);
      chart.appendChild(svg("circle", { "class": "dot level-" + level, cx: at[0], cy: at[1], r: 6 },
        tooltip(LABELS[dim] + ": " + round(result.score) + "/100, " + result.level)));
      var cos = Math.cos((-90 + i * 60) * Math.PI / 180);
      var anchor = cos > 0.3 ? "start" : cos < -0.3 ? "end" : "middle";
      var y = label[1] + (i === 0 ? -18 : i === 3 ? 12 : -4);
      chart.appendChild(svg("text", { "class": "axis-label" + (dim === mostImpactful ? " impact" : ""), x: label[0], y: round(y, 1), "text-anchor": anchor }, [
        svg("tspan", { "class": "axis-name" }, LABELS[dim] + " "),
        svg("tspan", { "class": "axis-value level-" + level }, String(round(result.score))),
        svg("tspan", { "class": "axis-level level-" + level, x: label[0], dy: "1.25em" }, result.level),
      ]));
    });
    return chart;
  }

  /* ---------- per-dimension list: score bar, level, distortion tags ---------- */

  function dimensionList(dimensions, mostImpactful) {
    var order = ["overall"].concat(DIMENSIONS.slice(0, 5));
    return html("ul", { "class": "dims" }, order.map(function (dim) {
      var result = dimensions[dim], level = levelIndex(result.score);
      var fill = html("div", { "class": "fill level-" + level });
      fill.style.width = Math.max(result.score, 1) + "%";
      var tags = (result.distortions || []).map(function (found) {
        return html("span", { "class": "tag level-" + SEVERITY_INDEX[found.severity], title: "confidence " + round(found.confidence * 100) + "%" },
          [found.severity + " " + found.type, html("small", {}, round(found.confidence * 100) + "%")]);
      });
      if (result.distortions && !result.distortions.length) tags.push(html("span", { "class": "tag none" }, "no distortion found"));
      return html("li", { "class": "dim" + (dim === mostImpactful ? " impact" : "") + (dim === "overall" ? " dim-overall" : ""), "data-dimension": dim }, [
        html("div", { "class": "dim-head" }, [
          html("span", { "class": "dim-name" }, LABELS[dim]),
          dim === mostImpactful ? html("span", { "class": "impact-note" }, "hurts overall most") : null,
          html("span", { "class": "chip level-" + level }, result.level),
          html("span", { "class": "dim-score" }, String(round(result.score))),
        ]),
        html("div", { "class": "bar" }, fill),
        tags.length ? html("div", { "class": "tags" }, tags) : null,
      ]);
    }));
  }

  /* ---------- timeline: one row per dimension, events across all rows ---------- */

  function tickStep(duration) {
    var steps = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600];
    for (var i = 0; i < steps.length; i++) if (duration / steps[i] <= 10) return steps[i];
    return steps[steps.length - 1];
  }

  function seriesPaths(values, x, y, base) {
    var line = "", area = "", run = [];
    function flush() {
      if (!run.length) return;
      line += run.map(function (p, i) { return (i ? "L" : "M") + p[0] + " " + p[1]; }).join("");
      area += "M" + run[0][0] + " " + base + run.map(function (p) { return "L" + p[0] + " " + p[1]; }).join("") + "L" + run[run.length - 1][0] + " " + base + "Z";
      run = [];
    }
    values.forEach(function (value, i) {
      if (value === null || value === undefined) flush();
      else run.push([round(x(i + 0.5), 1), round(y(value), 1)]);
    });
    flush();
    return { line: line, area: area };
  }

  function timeline(assessment) {
    var tl = assessment.timeline;
    if (!tl || !tl.seconds || !tl.seconds.length) return null;
    var count = tl.seconds.length, events = tl.events || [];
    var duration = Math.max((assessment.info && assessment.info.duration) || 0, tl.seconds[count - 1] + 1);
    var width = 900, left = 96, right = 12, top = events.length ? 24 : 8, rowHeight = 44, gap = 10, bottom = 26;
    var height = top + DIMENSIONS.length * (rowHeight + gap) - gap + bottom;
    function x(t) { return left + (t / duration) * (width - left - right); }
    var chart = svg("svg", { "class": "timeline", viewBox: "0 0 " + width + " " + height, role: "img", "aria-label": "per-second scores of each dimension" });

    DIMENSIONS.forEach(function (dim, row) {
      var y0 = top + row * (rowHeight + gap);
      function y(value) { return y0 + rowHeight - (value / 100) * rowHeight; }
      var group = svg("g", { "class": "row", "data-dimension": dim });
      for (var band = 0; band < 5; band++) {
        group.appendChild(svg("rect", { "class": "band level-" + band, x: left, y: round(y(100 - band * 20), 1), width: width - left - right, height: rowHeight / 5 }));
      }
      group.appendChild(svg("text", { "class": "row-label", x: left - 10, y: y0 + rowHeight / 2 - 2, "text-anchor": "end" }, LABELS[dim]));
      var values = tl.scores[dim] || [];
      var known = values.filter(function (v) { return v !== null && v !== undefined; });
      if (known.length) {
        var low = Math.min.apply(null, known);
        group.appendChild(svg("text", { "class": "row-note", x: left - 10, y: y0 + rowHeight / 2 + 12, "text-anchor": "end" }, "low " + round(low)));
      }
      var paths = seriesPaths(values, x, y, y0 + rowHeight);
      group.appendChild(svg("path", { "class": "area", d: paths.area || "M0 0" }));
      group.appendChild(svg("path", { "class": "series", "data-dimension": dim, d: paths.line || "M0 0" }));
      values.forEach(function (value, i) {
        if (value === null || value === undefined) return;
        group.appendChild(svg("circle", { "class": "point level-" + levelIndex(value), cx: round(x(i + 0.5), 1), cy: round(y(value), 1), r: count > 120 ? 1.2 : 2.6 },
          tooltip(LABELS[dim] + " " + round(value) + "/100 at " + tl.seconds[i] + "–" + (tl.seconds[i] + 1) + " s")));
      });
      chart.appendChild(group);
    });

    var bottomEdge = top + DIMENSIONS.length * (rowHeight + gap) - gap;
    events.forEach(function (event) {
      var x0 = x(event.start), x1 = Math.max(x(event.end), x0 + 3);
      var what = (EVENT_LABELS[event.kind] || event.kind) + " " + seconds(event.start) + (event.end - event.start >= 0.05 ? "–" + seconds(event.end) : "");
      chart.appendChild(svg("rect", { "class": "event event-" + event.kind, x: round(x0, 1), y: top - 4, width: round(x1 - x0, 1), height: bottomEdge - top + 8 }, tooltip(what)));
      chart.appendChild(svg("text", { "class": "event-label event-" + event.kind, x: round(x0 + 2, 1), y: top - 9 }, EVENT_LABELS[event.kind] || event.kind));
    });

    var step = tickStep(duration);
    for (var t = 0; t <= duration + 1e-9; t += step) {
      chart.appendChild(svg("line", { "class": "tick", x1: round(x(t), 1), x2: round(x(t), 1), y1: bottomEdge + 2, y2: bottomEdge + 7 }));
      chart.appendChild(svg("text", { "class": "tick-label", x: round(x(t), 1), y: bottomEdge + 20, "text-anchor": "middle" }, t + " s"));
    }
    return chart;
  }

  function eventLegend(events) {
    var kinds = [];
    (events || []).forEach(function (e) { if (kinds.indexOf(e.kind) < 0) kinds.push(e.kind); });
    var items = kinds.map(function (kind) {
      var count = events.filter(function (e) { return e.kind === kind; }).length;
      return html("span", { "class": "legend-item" }, [html("i", { "class": "swatch event-" + kind }), (EVENT_LABELS[kind] || kind) + " × " + count]);
    });
    items.push(html("span", { "class": "legend-note" }, "each point is one second; hover for values"));
    return html("div", { "class": "legend" }, items);
  }

  /* ---------- the whole view ---------- */

  function facts(assessment) {
    var info = assessment.info, parts = [];
    if (info) {
      parts.push(info.width + "×" + info.height);
      parts.push(info.codec + (info.bit_depth ? " " + info.bit_depth + "-bit" : ""));
      if (info.fps) parts.push(round(info.fps, 2) + " fps");
      if (info.duration) parts.push(seconds(info.duration));
      if (info.frame_count) parts.push(info.frame_count + " frames");
      if (info.bitrate) parts.push(round(info.bitrate / 1000) + " kb/s");
    }
    var stalls = assessment.stalls;
    if (stalls && stalls.count) {
      parts.push(stalls.count + (stalls.count === 1 ? " stall, " : " stalls, ") + seconds(stalls.total_seconds) + " (" + round(stalls.share * 100) + "%)");
    }
    return parts.join(" · ");
  }

  function downloadButton(assessment) {
    var button = html("button", { type: "button", "class": "button secondary", id: "download-json" }, "Download JSON");
    button.addEventListener("click", function () {
      var blob = new Blob([JSON.stringify(assessment, null, 2) + "\n"], { type: "application/json" });
      var link = html("a", { href: URL.createObjectURL(blob), download: (assessment.video.split(/[\\/]/).pop() || "video") + ".finevq.json" });
      document.body.appendChild(link);
      link.click();
      link.remove();
      setTimeout(function () { URL.revokeObjectURL(link.href); }, 1000);
    });
    return button;
  }

  function card(title, body, extraClass) {
    return html("section", { "class": "card " + (extraClass || "") }, [title ? html("h3", {}, title) : null].concat(body));
  }

  /** Render one assessment into `root`; `actions` are extra buttons for the head (the live page's "assess another"). */
  function render(root, assessment, actions) {
    root.textContent = "";
    var name = assessment.video.split(/[\\/]/).pop();
    var head = [html("div", { "class": "title" }, [html("h2", {}, name), html("p", { "class": "facts" }, facts(assessment))])];
    if (assessment.error) {
      root.appendChild(card(null, [
        html("div", { "class": "result-head" }, head.concat(html("div", { "class": "actions" }, [downloadButton(assessment)].concat(actions || [])))),
        html("div", { "class": "failure" }, [html("strong", {}, "Could not assess this video"), html("code", {}, assessment.error.code), html("p", {}, assessment.error.message)]),
      ], "head-card failed"));
      return;
    }
    var overall = assessment.dimensions.overall;
    head.push(html("div", { "class": "overall level-" + levelIndex(overall.score) }, [
      html("span", { "class": "overall-score" }, String(round(overall.score))),
      html("span", { "class": "overall-level" }, "overall · " + overall.level),
    ]));
    head.push(html("div", { "class": "actions" }, [downloadButton(assessment)].concat(actions || [])));
    root.appendChild(card(null, html("div", { "class": "result-head" }, head), "head-card"));
    root.appendChild(html("div", { "class": "grid" }, [
      card("Six dimensions", radar(assessment.dimensions, assessment.most_impactful), "radar-card"),
      card("Scores, levels and distortions", dimensionList(assessment.dimensions, assessment.most_impactful)),
    ]));
    var chart = timeline(assessment);
    if (chart) root.appendChild(card("Where quality drops", [eventLegend(assessment.timeline.events), html("div", { "class": "timeline-wrap" }, chart)]));
    var notes = (assessment.unmeasured || []).map(function (note) { return html("li", {}, note); });
    root.appendChild(card("Description", [
      html("p", { "class": "description" }, assessment.description || ""),
      notes.length ? html("ul", { "class": "notes" }, notes) : null,
      html("p", { "class": "model" }, "assessed by " + assessment.model.name + " " + assessment.model.version),
    ]));
  }

  /* ---------- the live page: upload, follow the job, render ---------- */

  function live() {
    var $ = function (id) { return document.getElementById(id); };
    var state = { health: null, timer: null };

    function headers() {
      var key = $("api-key").value.trim();
      return key ? { "X-API-Key": key } : {};
    }

    function showMessage(text) {
      $("message").textContent = text;
      $("message").hidden = !text;
    }

    function showProgress(file, label, fraction, note) {
      $("progress").hidden = false;
      $("progress-file").textContent = file;
      $("progress-state").textContent = label;
      $("progress-note").textContent = note || "";
      var bar = $("meter-bar");
      bar.classList.toggle("busy", fraction === null);
      bar.style.width = fraction === null ? "100%" : round(fraction * 100, 1) + "%";
    }

    function reset() {
      clearTimeout(state.timer);
      history.replaceState(null, "", location.pathname);
      $("result").textContent = "";
      $("progress").hidden = true;
      $("intake").hidden = false;
      $("ask").hidden = true;
      $("file").value = "";
      showMessage("");
    }

    function againButton() {
      var button = html("button", { type: "button", "class": "button", id: "again" }, "Assess another video");
      button.addEventListener("click", reset);
      return button;
    }

    function errorText(body, status) {
      return body && body.error ? body.error.message + " (" + body.error.code + ")" : "the server answered " + status;
    }

    /* `progress` follows the upload; it must be attached before send() for upload events to fire. */
    function request(method, url, body, done, progress) {
      var xhr = new XMLHttpRequest();
      xhr.open(method, url);
      var extra = headers();
      Object.keys(extra).forEach(function (name) { xhr.setRequestHeader(name, extra[name]); });
      if (body && !(body instanceof FormData)) xhr.setRequestHeader("Content-Type", "application/json");
      xhr.responseType = "json";
      xhr.onload = function () { done(xhr.status, xhr.response); };
      xhr.onerror = function () { done(0, null); };
      if (progress) xhr.upload.onprogress = progress;
      xhr.send(body instanceof FormData || !body ? body : JSON.stringify(body));
    }

    function follow(id, started) {
      request("GET", "/v1/assessments/" + encodeURIComponent(id), null, function (status, job) {
        if (status !== 200) {
          $("progress").hidden = true;
          $("intake").hidden = false;
          showMessage("Could not follow the job: " + (status ? errorText(job, status) : "the server is not reachable"));
          return;
        }
        if (job.status === "queued" || job.status === "running") {
          var waited = Math.round((Date.now() - started) / 1000);
          if (job.status === "queued") {
            showProgress(job.video, "waiting", null, job.ahead ? job.ahead + (job.ahead === 1 ? " job" : " jobs") + " ahead in the queue" : "waiting for a free worker");
          } else {
            showProgress(job.video, "assessing… " + waited + " s", null, "decoding the video and measuring each dimension");
          }
          state.timer = setTimeout(function () { follow(id, started); }, 600);
          return;
        }
        $("progress").hidden = true;
        checkHealth();
        if (job.status === "failed") showMessage("The assessment failed: " + job.error.message + " (" + job.error.code + ")");
        var assessment = job.result || { video: job.video, model: { name: "finevq", version: "" }, error: job.error };
        render($("result"), assessment, [againButton()]);
        $("ask").hidden = !(state.health && state.health.ask && job.status === "done");
        $("ask").dataset.job = id;
      });
    }

    function upload(file) {
      showMessage("");
      var limit = state.health ? state.health.max_upload_mb * 1024 * 1024 : Infinity;
      if (file.size > limit) {
        showMessage(file.name + " is " + round(file.size / 1048576, 1) + " MB; this server accepts up to " + state.health.max_upload_mb + " MB.");
        return;
      }
      $("intake").hidden = true;
      $("result").textContent = "";
      var form = new FormData();
      form.append("file", file, file.name);
      request("POST", "/v1/assessments", form, function (status, job) {
        if (status !== 202) {
          $("progress").hidden = true;
          $("intake").hidden = false;
          if (status === 401) $("key-row").hidden = false;
          showMessage("Upload refused: " + (status ? errorText(job, status) : "the connection was closed (is the file too large?)"));
          return;
        }
        history.replaceState(null, "", "#job=" + job.id);
        follow(job.id, Date.now());
      }, function (event) {
        if (!event.lengthComputable) return;
        showProgress(file.name, "uploading " + round(100 * event.loaded / event.total) + "%", event.loaded / event.total,
          round(event.loaded / 1048576, 1) + " of " + round(event.total / 1048576, 1) + " MB");
      });
    }

    var drop = $("drop");
    ["dragenter", "dragover"].forEach(function (type) {
      drop.addEventListener(type, function (event) { event.preventDefault(); drop.classList.add("over"); });
    });
    ["dragleave", "drop"].forEach(function (type) {
      drop.addEventListener(type, function () { drop.classList.remove("over"); });
    });
    drop.addEventListener("drop", function (event) {
      event.preventDefault();
      if (event.dataTransfer.files.length) upload(event.dataTransfer.files[0]);
    });
    $("file").addEventListener("change", function () {
      if (this.files.length) upload(this.files[0]);
    });
    $("key-row").addEventListener("submit", function (event) { event.preventDefault(); });
    $("ask-form").addEventListener("submit", function (event) {
      event.preventDefault();
      var question = $("question").value.trim();
      if (!question) return;
      $("answer").textContent = "…";
      request("POST", "/v1/ask", { job: $("ask").dataset.job, question: question }, function (status, body) {
        $("answer").textContent = status === 200 ? body.text : errorText(body, status);
      });
    });

    function checkHealth(then) {
      request("GET", "/v1/health", null, function (status, health) {
        if (status !== 200) {
          $("server-state").textContent = "server not reachable";
          return;
        }
        state.health = health;
        $("server-state").textContent = health.workers_ready + " of " + health.workers + " workers ready · " + health.queued + " queued · " + health.running + " running";
        if (then) then(health);
      });
    }

    checkHealth(function (health) {
      $("limits").textContent = "MP4, MOV, MKV, WebM, AVI, TS… up to " + health.max_upload_mb + " MB";
      $("key-row").hidden = !health.api_key_required;
      var resumed = /^#job=([0-9a-f]+)$/.exec(location.hash);
      if (resumed) {
        $("intake").hidden = true;
        follow(resumed[1], Date.now());
      }
    });
    setInterval(checkHealth, 5000);
  }

  window.FineVQ = { render: render };

  var embedded = document.getElementById("finevq-data");
  if (embedded) {
    render(document.getElementById("result"), JSON.parse(embedded.textContent));
  } else if (document.getElementById("drop")) {
    live();
  }
})();
