/**
 * A small world map for the edit dialogs of this package's nodes: country outlines (Natural Earth
 * 1:110m, served by Node-RED from this package, no other network), the bounding box of a text
 * field drawn on it, and a new box drawn by dragging. Typing in the field moves the box; drawing
 * fills the field. With the WorldCover grid on, the 3° tiles the box covers are shaded and counted.
 *
 * The runtime reads the box and counts the tiles (GET eo-request/area, the same rules the node
 * runs with); this file only draws. One call from a node's oneditprepare adds the map:
 *
 *     var map = EoNodesMap.attach({
 *         input: "#node-input-bbox",                  // the "west,south,east,north" field
 *         worldCover: function () { return "2021"; }  // optional: a year ("" = the latest) shows the tile grid, null hides it
 *     });
 *     map.refresh();                                  // after a change that worldCover() depends on
 *
 * The map is placed in a form row after the field's row, with the same classes, so it shows and
 * hides with the field. Its texts are eo-request's catalogue entries under `eo-request.map`.
 */
(function () {
  'use strict';
  if (window.EoNodesMap) return;

  var SVG_NS = 'http://www.w3.org/2000/svg';
  var WORLD = { x: -180, y: -90, w: 360, h: 180 };
  var MIN_VIEW_WIDTH = 0.5;
  var GRID_MAX_LINES = 60;
  var LISTED_TILES = 6;
  var TYPING_DELAY_MS = 250;
  // Where this script was served from: the world outlines lie beside it.
  var base = document.currentScript ? document.currentScript.src.replace(/[^/]*$/, '') : '';
  var outlines; // one download per editor session

  function t(key, substitutions) {
    var def = RED.nodes.getType('eo-request');
    return def ? def._('eo-request.map.' + key, substitutions) : key;
  }

  function svg(name, attrs, parent) {
    var el = document.createElementNS(SVG_NS, name);
    Object.keys(attrs || {}).forEach(function (k) {
      el.setAttribute(k, attrs[k]);
    });
    if (parent) parent.appendChild(el);
    return el;
  }

  /** SVG path data of flat [lon, lat, lon, lat, ...] lists; y is minus the latitude. */
  function pathOf(lines, close) {
    return lines
      .map(function (flat) {
        var d = 'M' + flat[0] + ',' + -flat[1];
        for (var i = 2; i < flat.length; i += 2) d += 'L' + flat[i] + ',' + -flat[i + 1];
        return close ? d + 'Z' : d;
      })
      .join('');
  }

  function loadOutlines() {
    outlines =
      outlines ||
      $.ajax({ url: base + 'world-110m.json', dataType: 'json' }).then(function (world) {
        return { land: pathOf(world.land, true), borders: pathOf(world.borders, false) };
      });
    return outlines;
  }

  function addStyle() {
    if (document.getElementById('eo-map-style')) return;
    $("<style id='eo-map-style'>")
      .text(
        [
          '.eo-map { position: relative; width: 100%; user-select: none; }',
          '.eo-map-svg { display: block; width: 100%; aspect-ratio: 2 / 1; background: #dfeaf3; border: 1px solid var(--red-ui-form-input-border-color, #ccc); border-radius: 4px; cursor: crosshair; touch-action: none; }',
          '.eo-map-land { fill: #f3f0e6; stroke: #8a8a80; stroke-width: 0.8; vector-effect: non-scaling-stroke; fill-rule: evenodd; }',
          '.eo-map-borders { fill: none; stroke: #b9b5a8; stroke-width: 0.6; vector-effect: non-scaling-stroke; }',
          '.eo-map-grid line { stroke: #5b7fa6; stroke-width: 0.6; stroke-dasharray: 2 2; vector-effect: non-scaling-stroke; }',
          '.eo-map-covered { fill: #f4a53a; fill-opacity: 0.25; stroke: #d9822b; stroke-width: 1; vector-effect: non-scaling-stroke; }',
          '.eo-map-box { fill: #3a7fd4; fill-opacity: 0.2; stroke: #1f5fae; stroke-width: 2; vector-effect: non-scaling-stroke; }',
          '.eo-map-tools { position: absolute; top: 6px; right: 6px; display: flex; gap: 2px; }',
          '.eo-map-info { margin-top: 4px; font-size: 0.9em; line-height: 1.4; color: var(--red-ui-secondary-text-color, #555); }',
          '.eo-map-info.eo-map-error { color: var(--red-ui-text-color-error, #c00); }',
        ].join('\n'),
      )
      .appendTo('head');
  }

  function round(value, decimals) {
    var f = Math.pow(10, decimals);
    return Math.round(value * f) / f;
  }

  /**
   * Adds the map for `options.input` and returns { refresh, box }.
   * `box()` is the box drawn now, [west, south, east, north] or null (for tests and callers).
   */
  function attach(options) {
    addStyle();
    var $input = $(options.input);
    var $row = $input.closest('.form-row');
    var $mapRow = $('<div>', { class: ($row.attr('class') || 'form-row') + ' eo-map-row' }).insertAfter($row);
    var $map = $('<div>', { class: 'eo-map' }).appendTo($mapRow);
    var root = svg('svg', { class: 'eo-map-svg', preserveAspectRatio: 'xMidYMid meet' }, $map[0]);
    svg('rect', { x: WORLD.x, y: WORLD.y, width: WORLD.w, height: WORLD.h, fill: 'transparent' }, root);
    var land = svg('path', { class: 'eo-map-land' }, root);
    var borders = svg('path', { class: 'eo-map-borders' }, root);
    var covered = svg('rect', { class: 'eo-map-covered', display: 'none' }, root);
    var grid = svg('g', { class: 'eo-map-grid' }, root);
    var boxEl = svg('rect', { class: 'eo-map-box', display: 'none' }, root);
    var $info = $('<div>', { class: 'eo-map-info' }).appendTo($mapRow);
    var $tools = $('<div>', { class: 'eo-map-tools' }).appendTo($map);

    var view = { x: WORLD.x, y: WORLD.y, w: WORLD.w, h: WORLD.h };
    var box = null; // [w, s, e, n] as drawn
    var coverage = null; // the runtime's answer for WorldCover
    var asked = null; // the last text + year sent
    var timer = null;

    loadOutlines().then(function (paths) {
      land.setAttribute('d', paths.land);
      borders.setAttribute('d', paths.borders);
    });

    function tool(icon, title, action) {
      $("<button type='button' class='red-ui-button red-ui-button-small'>")
        .attr('title', t(title))
        .append($('<i>', { class: 'fa ' + icon }))
        .on('click', function (e) {
          e.preventDefault();
          action();
        })
        .appendTo($tools);
    }
    tool('fa-plus', 'zoomIn', function () {
      zoomAt(view.x + view.w / 2, view.y + view.h / 2, 0.5);
    });
    tool('fa-minus', 'zoomOut', function () {
      zoomAt(view.x + view.w / 2, view.y + view.h / 2, 2);
    });
    tool('fa-crosshairs', 'zoomBox', function () {
      if (box) fit(box, coverage && coverage.extent);
    });
    tool('fa-globe', 'zoomWorld', function () {
      setView(WORLD.x, WORLD.y, WORLD.w);
    });

    function setView(x, y, w) {
      w = Math.max(MIN_VIEW_WIDTH, Math.min(WORLD.w, w));
      var h = w / 2;
      view = {
        x: Math.max(WORLD.x, Math.min(WORLD.x + WORLD.w - w, x)),
        y: Math.max(WORLD.y, Math.min(WORLD.y + WORLD.h - h, y)),
        w: w,
        h: h,
      };
      root.setAttribute('viewBox', [view.x, view.y, view.w, view.h].join(' '));
      drawGrid();
    }

    function zoomAt(x, y, factor) {
      var w = Math.max(MIN_VIEW_WIDTH, Math.min(WORLD.w, view.w * factor));
      var k = w / view.w;
      setView(x - (x - view.x) * k, y - (y - view.y) * k, w);
    }

    /**
     * Shows `b` with room around it (the box takes about a third of the map's width); with the
     * tiles it covers, shows those too, with the grid around them.
     */
    function fit(b, tiles) {
      var r = tiles ? [Math.min(b[0], tiles[0]), Math.min(b[1], tiles[1]), Math.max(b[2], tiles[2]), Math.max(b[3], tiles[3])] : b;
      var room = tiles ? 1.6 : 3;
      var w = Math.max((r[2] - r[0]) * room, (r[3] - r[1]) * room * 2, 4);
      setView((r[0] + r[2]) / 2 - w / 2, -(r[1] + r[3]) / 2 - w / 4, w);
    }

    function visible(b) {
      return b[0] >= view.x && b[2] <= view.x + view.w && -b[3] >= view.y && -b[1] <= view.y + view.h && b[2] - b[0] > view.w / 40;
    }

    /** Map coordinates (lon, -lat) of a mouse event, through the SVG's own transform. */
    function toMap(evt) {
      var p = root.createSVGPoint();
      p.x = evt.clientX;
      p.y = evt.clientY;
      var m = p.matrixTransform(root.getScreenCTM().inverse());
      return { x: Math.max(-180, Math.min(180, m.x)), y: Math.max(-90, Math.min(90, m.y)) };
    }

    function drawBox(b) {
      box = b;
      if (!b) {
        boxEl.setAttribute('display', 'none');
        return;
      }
      boxEl.setAttribute('x', b[0]);
      boxEl.setAttribute('y', -b[3]);
      boxEl.setAttribute('width', b[2] - b[0]);
      boxEl.setAttribute('height', b[3] - b[1]);
      boxEl.removeAttribute('display');
    }

    function drawGrid() {
      while (grid.firstChild) grid.removeChild(grid.firstChild);
      var g = coverage && coverage.grid;
      if (!g || view.w / g.tileDegrees > GRID_MAX_LINES) return;
      var d = g.tileDegrees;
      var top = Math.max(view.y, -g.maxLatitude);
      var bottom = Math.min(view.y + view.h, -g.minLatitude);
      for (var x = Math.ceil(view.x / d) * d; x <= view.x + view.w; x += d) {
        svg('line', { x1: x, x2: x, y1: top, y2: bottom }, grid);
      }
      for (var y = Math.ceil(top / d) * d; y <= bottom; y += d) {
        svg('line', { x1: view.x, x2: view.x + view.w, y1: y, y2: y }, grid);
      }
    }

    function drawCoverage() {
      var e = coverage && coverage.extent;
      if (!e) covered.setAttribute('display', 'none');
      else {
        covered.setAttribute('x', e[0]);
        covered.setAttribute('y', -e[3]);
        covered.setAttribute('width', e[2] - e[0]);
        covered.setAttribute('height', e[3] - e[1]);
        covered.removeAttribute('display');
      }
      drawGrid();
    }

    function say(text, isError, count) {
      $info.text(text).toggleClass('eo-map-error', !!isError);
      if (count === undefined) $info.removeAttr('data-tiles');
      else $info.attr('data-tiles', count);
    }

    function explain() {
      if (!coverage) {
        say(t(box ? 'drawn' : 'empty'));
        return;
      }
      if (!box) {
        say(t('empty'));
        return;
      }
      if (coverage.count === 0) {
        say(t('none', { min: coverage.grid.minLatitude, max: coverage.grid.maxLatitude }), false, 0);
        return;
      }
      var names = coverage.tiles.slice(0, LISTED_TILES).join(', ') + (coverage.count > LISTED_TILES ? ', …' : '');
      say(
        t(coverage.count === 1 ? 'tile' : 'tiles', { count: coverage.count, size: coverage.grid.tileDegrees, names: names }) +
          ' ' +
          t('ocean'),
        false,
        coverage.count,
      );
    }

    /** Asks the runtime what the field says; draws the answer unless the field changed meanwhile. */
    function ask(fitView) {
      var text = String($input.val() || '');
      var year = options.worldCover ? options.worldCover() : null;
      var key = text + '|' + year;
      if (key === asked) return;
      asked = key;
      var query = { bbox: text };
      if (year !== null && year !== undefined) query.worldcover = year;
      $.ajax({ url: 'eo-request/area', data: query, dataType: 'json' }).then(
        function (answer) {
          if (asked !== key) return;
          $info.attr('data-asked', text);
          drawBox(answer.bbox);
          coverage = answer.worldCover || null;
          drawCoverage();
          explain();
          if (answer.bbox && (fitView || !visible(answer.bbox))) fit(answer.bbox, coverage && coverage.extent);
        },
        function (xhr) {
          if (asked !== key) return;
          $info.attr('data-asked', text);
          var body = xhr.responseJSON || {};
          drawBox(null);
          coverage = null;
          drawCoverage();
          say(body.message || t('unreadable'), true);
        },
      );
    }

    $input.on('input change', function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        ask(false);
      }, TYPING_DELAY_MS);
    });

    // Drawing: drag draws a box; Shift-drag (or the middle button) pans; the wheel zooms at the cursor.
    var drag = null;
    root.addEventListener('pointerdown', function (evt) {
      if (evt.button !== 0 && evt.button !== 1) return;
      evt.preventDefault();
      root.setPointerCapture(evt.pointerId);
      var start = toMap(evt);
      drag = { pan: evt.shiftKey || evt.button === 1, start: start, view: view, before: box, clientX: evt.clientX, clientY: evt.clientY };
    });
    root.addEventListener('pointermove', function (evt) {
      if (!drag) return;
      if (drag.pan) {
        var k = drag.view.w / root.getBoundingClientRect().width;
        setView(drag.view.x - (evt.clientX - drag.clientX) * k, drag.view.y - (evt.clientY - drag.clientY) * k, drag.view.w);
        return;
      }
      var p = toMap(evt);
      drawBox([Math.min(drag.start.x, p.x), -Math.max(drag.start.y, p.y), Math.max(drag.start.x, p.x), -Math.min(drag.start.y, p.y)]);
    });
    root.addEventListener('pointerup', function (evt) {
      if (!drag) return;
      var d = drag;
      drag = null;
      root.releasePointerCapture(evt.pointerId);
      if (d.pan) return;
      // A click is not a box: keep what was there.
      if (Math.abs(evt.clientX - d.clientX) < 3 || Math.abs(evt.clientY - d.clientY) < 3) {
        drawBox(d.before);
        return;
      }
      // As many decimals as a pixel is worth at this zoom.
      var perPixel = view.w / root.getBoundingClientRect().width;
      var decimals = Math.max(0, Math.min(4, Math.ceil(-Math.log10(perPixel))));
      var b = box.map(function (v) {
        return round(v, decimals);
      });
      if (b[0] >= b[2] || b[1] >= b[3]) {
        drawBox(d.before);
        return;
      }
      drawBox(b);
      $input.val(b.join(',')).trigger('change');
      clearTimeout(timer);
      ask(false);
    });
    root.addEventListener(
      'wheel',
      function (evt) {
        evt.preventDefault();
        var p = toMap(evt);
        zoomAt(p.x, p.y, evt.deltaY > 0 ? 1.25 : 0.8);
      },
      { passive: false },
    );

    setView(WORLD.x, WORLD.y, WORLD.w);
    say(t('empty'));
    ask(true);

    return {
      refresh: function () {
        ask(false);
      },
      box: function () {
        return box && box.slice();
      },
    };
  }

  window.EoNodesMap = { attach: attach };
})();
